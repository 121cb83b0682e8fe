"""The kit installed from its wheel (not editable): the lesson sources and the data folder's README and
checksums ship inside `autograder/`, and `convkit release` run from the installed kit writes them into the
bundle. The wheel is built from a copy of the sources, so no build folder is left in the checkout."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from autograder import release
from autograder.stubs import KIT_FOLDERS, ROOT

#: What the wheel is built from (pyproject's packages and package-dir name nothing else).
SOURCES = ("pyproject.toml", "README.md", "autograder", "exercises", "solutions", *KIT_FOLDERS)
LESSONS = sorted(path.stem for path in (ROOT / "lessons").glob("lesson*.py"))


def run(command: list[str], cwd: Path) -> str:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.gz", "*.npz", "*.egg-info")
    for item in SOURCES:
        if (ROOT / item).is_dir():
            shutil.copytree(ROOT / item, source / item, ignore=ignore)
        else:
            shutil.copy2(ROOT / item, source / item)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheels"), str(source)],
        tmp_path)
    (wheel,) = (tmp_path / "wheels").glob("convkit-*.whl")
    return wheel


def test_the_wheel_ships_the_lessons_and_release_from_it_writes_them_into_the_bundle(tmp_path):
    assert len(LESSONS) >= 6
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"autograder/lessons/{lesson}.py" for lesson in LESSONS} <= names
    assert {f"autograder/datasets/{name}" for name in release.DATASET_FILES} <= names
    assert not [name for name in names if name.endswith((".gz", ".npz"))], "no data in the wheel"

    # TensorFlow and the other dependencies come from this environment; only the kit is installed anew.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path)
    installed = Path(run([python, "-c", "import autograder; print(autograder.__file__)"], tmp_path).strip())
    assert installed.is_relative_to(venv), f"the kit was imported from {installed}, not from the wheel"

    bundle = tmp_path / "bundle"
    run([python, "-m", "autograder", "release", str(bundle)], tmp_path)
    assert sorted(path.stem for path in (bundle / "lessons").glob("*.ipynb")) == LESSONS
    for name in release.DATASET_FILES:
        assert (bundle / "datasets" / name).read_bytes() == (ROOT / "datasets" / name).read_bytes()
