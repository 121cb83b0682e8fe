"""`convkit release`: the student bundle holds the stubs and public material, and nothing hidden."""

import csv
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import course, release
from autograder.stubs import BEGIN, END, EXERCISE_NAMES, ROOT
from exercises import score


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


BUNDLE_ENV = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2"}


def bundle_run(bundle: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run `python ARGS` in the bundle as a student would, with no kit on the path."""
    return subprocess.run([sys.executable, *args], cwd=bundle, capture_output=True, text=True, timeout=timeout,
                          env={**BUNDLE_ENV, "HOME": str(bundle)})


def copy_bundle(bundle: Path, target: Path, solved: tuple[str, ...] = ()) -> Path:
    """A copy of the bundle with the reference solutions of `solved` in place of their stubs."""
    shutil.copytree(bundle, target)
    for name in solved:
        shutil.copyfile(ROOT / "solutions" / f"{name}.py", target / "exercises" / f"{name}.py")
    return target


def test_the_stubs_report_each_unwritten_function_once_in_a_screenful(bundle):
    run = bundle_run(bundle, "-m", "pytest", "exercises", "-p", "no:cacheprovider", "--junitxml=report.xml")
    assert run.returncode == 1, run.stdout[-2000:]
    before_summary = run.stdout.split("not implemented in")[0].splitlines()
    assert len(before_summary) <= 40, run.stdout
    assert "FAILURES" not in run.stdout and "Traceback" not in run.stdout
    functions = [f"{e.name}.{f}" for e in course.EXERCISES for f in e.functions if e.kind == "numpy"]
    for function in functions:
        assert run.stdout.count(f"{function} is not implemented yet") == 1, function
    passed, total = score.exercise_counts(str(bundle / "report.xml"))
    assert sum(total.values()) > 100 and sum(passed.values()) == 0, "the report still records the failures"


def test_any_other_failure_is_still_shown_in_full(bundle, tmp_path):
    planted = copy_bundle(bundle, tmp_path / "planted")
    module = planted / "exercises" / "ex01_convolution.py"
    stub_line = '    raise NotImplementedError("correlate2d is not implemented yet: write it where this line stands")'
    assert stub_line in module.read_text()
    module.write_text(module.read_text().replace(stub_line, '    raise ValueError("a planted bug")'))
    run = bundle_run(planted, "-m", "pytest", "exercises/test_ex01_convolution.py", "-p", "no:cacheprovider")
    assert run.returncode == 1
    assert "FAILURES" in run.stdout and "a planted bug" in run.stdout
    assert "ex01_convolution.correlate2d is not implemented yet" not in run.stdout
    assert "ex01_convolution.convolve2d is not implemented yet" in run.stdout


def test_the_bundle_knows_the_hidden_points_and_the_hand_in_files(bundle):
    data = json.loads((bundle / "exercises" / "course.json").read_text())
    assert data["hand_in"] == list(course.HAND_IN_FILES)
    assert set(data["points"]) == set(course.names())
    assert sum(data["points"].values()) == 60


def test_score_estimates_points_out_of_the_hidden_totals(bundle, tmp_path):
    solved = copy_bundle(bundle, tmp_path / "solved", solved=("ex01_convolution",))
    run = bundle_run(solved, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", "--junitxml=r.xml",
                     "--ignore=exercises/test_ex06_lenet5.py")
    assert run.returncode == 1
    table = bundle_run(solved, "-m", "exercises.score", "r.xml")
    assert table.returncode == 0, table.stderr
    assert "| ex01_convolution | 24 / 24 | 10.0 / 10 |" in table.stdout
    assert "| ex02_padding | 0 / 41 | 0.0 / 10 |" in table.stdout
    assert "/ 60** |" in table.stdout and "hidden tests add" in table.stdout


def test_submit_builds_a_zip_that_grades_like_the_flat_files(bundle, tmp_path):
    names = tuple(course.names("numpy"))
    solved = copy_bundle(bundle, tmp_path / "solved", solved=names[:3])
    run = bundle_run(solved, "-m", "exercises.submit", "--no-tests")
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(solved / "submission.zip") as archive:
        assert archive.namelist() == [f"{name}.py" for name in course.names()]
    assert "missing" in run.stdout and course.WEIGHTS_FILE in run.stdout
    class_dir = tmp_path / "class"
    (class_dir / "bob").mkdir(parents=True)
    shutil.copyfile(solved / "submission.zip", class_dir / "alice.zip")
    for name in course.names():
        shutil.copyfile(solved / "exercises" / f"{name}.py", class_dir / "bob" / f"{name}.py")
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out",
                             str(tmp_path / "out"), "--lenet", "skip"], capture_output=True, text=True, timeout=900)
    assert graded.returncode == 0, graded.stderr[-2000:]
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / course.GRADES_CSV).open())}
    alice, bob = ({k: v for k, v in rows[s].items() if k != "student"} for s in ("alice", "bob"))
    assert alice == bob and float(alice["total"]) == 30, rows


def test_submit_refuses_an_out_path_that_is_not_a_zip(bundle):
    run = bundle_run(bundle, "-m", "exercises.submit", "--no-tests", "--out", "hand-in.tar")
    assert run.returncode == 2 and "must name a .zip" in run.stderr
