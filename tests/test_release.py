"""`convkit release`: the student bundle holds the stubs and public material, and nothing hidden."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import release
from autograder.stubs import BEGIN, END, EXERCISE_NAMES, ROOT


def code_lines(text: str) -> list[str]:
    """The stripped non-blank, non-comment lines of a text."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def solution_runs(length: int = 3) -> set[tuple[str, ...]]:
    """Every run of `length` consecutive code lines inside the solutions' BEGIN/END regions."""
    runs = set()
    for name in EXERCISE_NAMES:
        region, inside = [], False
        for line in (ROOT / "solutions" / f"{name}.py").read_text().splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
                if not inside:
                    lines = code_lines("\n".join(region))
                    runs |= {tuple(lines[i:i + length]) for i in range(len(lines) - length + 1)}
                    region = []
            elif inside:
                region.append(line)
    return runs


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "student"
    release.write_release(out)
    return out


def test_the_bundle_has_the_stubs_public_tests_loader_and_its_own_project(bundle):
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    for name in EXERCISE_NAMES:
        assert f"exercises/{name}.py" in names
        assert (bundle / "exercises" / f"{name}.py").read_text() == (ROOT / "exercises" / f"{name}.py").read_text()
    assert {"exercises/checks.py", "exercises/data.py", "exercises/plots.py", "pyproject.toml", "README.md",
            ".github/workflows/public-tests.yml", "datasets/SHA256SUMS", ".gitignore"} <= names
    assert ".OTTER_LOG" in (bundle / ".gitignore").read_text().split()
    otter_check = "otter check exercises/ex01_convolution.py -t otter_tests/ex01_convolution"
    assert otter_check in (bundle / "README.md").read_text()


def test_no_solution_hidden_test_or_reference_module_is_inside(bundle):
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert not any(part in ("solutions", "autograder", "tests") for p in files for part in p.relative_to(bundle).parts)
    text = "\n".join(p.read_text(errors="replace") for p in files)
    assert BEGIN not in text and END not in text
    lines = code_lines(text)
    bundle_runs = {tuple(lines[i:i + 3]) for i in range(len(lines) - 2)}
    assert len(solution_runs()) > 100, "the search needs solution code to look for"
    leaked = solution_runs() & bundle_runs
    assert not leaked, f"solution code in the bundle: {sorted(leaked)[:2]}"
    hidden_names = {m.group(1) for p in (ROOT / "autograder" / "hidden").glob("test_*.py")
                    for m in re.finditer(r"^def (test_\w+)", p.read_text(), re.M)}
    public_text = "\n".join(p.read_text() for p in (bundle / "exercises").glob("test_*.py"))
    assert not [n for n in hidden_names if re.search(rf"\b{n}\b", public_text)]


def test_a_non_empty_output_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        release.write_release(tmp_path)


def test_pytest_in_the_bundle_fails_on_the_stubs_with_not_implemented(bundle):
    run = subprocess.run([sys.executable, "-m", "pytest", "exercises", "-q", "-x", "-p", "no:cacheprovider",
                          "--ignore=exercises/test_ex06_lenet5.py"],
                         cwd=bundle, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(bundle), "PYTHONDONTWRITEBYTECODE": "1"})
    assert run.returncode == 1, run.stdout[-2000:]
    assert "is not implemented yet" in run.stdout
