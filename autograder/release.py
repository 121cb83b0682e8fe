"""`convkit release OUT_DIR`: the student bundle, with no solution, hidden test or reference module inside.

The bundle holds the stubs and public tests of `exercises/`, the check library, the data loader, the
plotting helpers, the lesson notebooks (`lessons/*.ipynb`, made with jupytext from the reviewed py:percent
sources in the kit's `lessons/`), `datasets/` (checksums and README, never data), a student README, its own pyproject, a
GitHub Actions workflow that runs the public tests, and the public Otter tests (`otter_tests/<exercise>/`,
with their runtime `convkit_otter/`, written by `autograder.otter.export.write_public_tests`). Files are chosen
from an allowlist, so whatever is added to the kit later stays out of the bundle until it is listed here.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from autograder import course
from autograder.otter import export as otter
from autograder.stubs import EXERCISE_NAMES, ROOT, kit_folder, stale_stubs

TEMPLATES = Path(__file__).resolve().parent / "templates" / "release"
SUPPORT_MODULES = ("__init__.py", "checks.py", "data.py", "lenet_judge.py", "mistakes.py", "plots.py", "score.py",
                   "submit.py", "train.py")
DATASET_FILES = ("README.md", "SHA256SUMS", ".gitignore")
TEMPLATE_FILES = ("README.md", "pyproject.toml", ".gitignore", "conftest.py.in", ".github/workflows/public-tests.yml")


def bundle_files(root: Path = ROOT) -> dict[str, Path]:
    """Bundle path -> source path of every file the student bundle holds."""
    files = {}
    for name in EXERCISE_NAMES:
        files[f"exercises/{name}.py"] = root / "exercises" / f"{name}.py"
        public_test = root / "exercises" / f"test_{name}.py"
        if public_test.is_file():
            files[f"exercises/test_{name}.py"] = public_test
    for name in SUPPORT_MODULES:
        files[f"exercises/{name}"] = root / "exercises" / name
    for name in DATASET_FILES:
        files[f"datasets/{name}"] = kit_folder("datasets", root) / name
    for name in TEMPLATE_FILES:
        # A template that is Python is kept as `.in`, so that it is not a module of the kit itself.
        files[name.removesuffix(".in")] = TEMPLATES / name
    return files


def write_release(out_dir: Path, root: Path = ROOT) -> list[str]:
    """Write the student bundle into `out_dir` (which must be empty or absent); returns the bundle's paths."""
    stale = stale_stubs(root)
    if stale:
        raise ValueError(f"exercises/ is out of sync with solutions/ ({', '.join(stale)}); run `convkit stubs`")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty; give a new or empty folder for the bundle")
    files = bundle_files(root)
    missing = [str(source) for source in files.values() if not source.is_file()]
    if missing:
        raise ValueError(f"the kit is incomplete, these files of the bundle are missing: {', '.join(missing)}")
    for target, source in files.items():
        (out_dir / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out_dir / target)
    (out_dir / "pyproject.toml").write_text(pyproject_text((TEMPLATES / "pyproject.toml").read_text()))
    (out_dir / COURSE_FILE).write_text(json.dumps(course_data(), indent=2) + "\n")
    lessons = write_lessons(out_dir, root)
    return sorted([*files, COURSE_FILE, *lessons, *otter.write_public_tests(out_dir)])


COURSE_FILE = "exercises/course.json"


def pyproject_text(template: str) -> str:
    """The bundle's pyproject.toml: the template with each `"@group@"` replaced by that group's requirements.

    `dependencies` are `course.STUDENT_DEPENDENCIES`, an extra's group is its name in `course.STUDENT_EXTRAS`;
    each package gets its bound from `course.REQUIREMENTS`, e.g. `"@otter@"` becomes
    `["otter-grader==7.0.0", "ipykernel>=6.17"]`.
    """
    groups = {"dependencies": course.STUDENT_DEPENDENCIES, **course.STUDENT_EXTRAS}
    for group, names in groups.items():
        marker = f'"@{group}@"'
        if template.count(marker) != 1:
            raise ValueError(f"the bundle's pyproject template must hold {marker} once, "
                             f"found {template.count(marker)}")
        template = template.replace(marker, json.dumps([course.requirement(name) for name in names]))
    unknown = re.findall(r'"@[\w-]+@"', template)
    if unknown:
        raise ValueError(f"the bundle's pyproject template names groups the course does not have: {unknown}")
    return template


def write_lessons(out_dir: Path, root: Path = ROOT) -> list[str]:
    """Write each `lessons/lessonNN_topic.py` (jupytext py:percent, the reviewed source) as a notebook."""
    import jupytext

    written = []
    sources = sorted(kit_folder("lessons", root).glob("lesson*.py"))
    if not sources:
        raise ValueError(f"no lesson source (lessons/lesson*.py) in {kit_folder('lessons', root)}")
    for source in sources:
        target = f"lessons/{source.stem}.ipynb"
        (out_dir / "lessons").mkdir(parents=True, exist_ok=True)
        jupytext.write(jupytext.read(source, fmt="py:percent"), out_dir / target, fmt="ipynb")
        written.append(target)
    return written


def course_data() -> dict:
    """What the student's tools need from the grader, as data (the bundle holds no `autograder`).

    `points`: exercise -> the points its hidden suite is worth (summed from the `points` markers, so they
    match grades.csv's `possible`); `hand_in`: the file names intake takes from a submission, in order.
    """
    cases = otter.collect(list(course.names()), hidden=True)
    points = {name: sum(case.points for case in found if case.hidden) for name, found in cases.items()}
    return {"points": points, "hand_in": list(course.HAND_IN_FILES)}


def main(out_dir: str) -> int:
    written = write_release(Path(out_dir))
    print(f"wrote the student bundle to {out_dir}: {len(written)} files")
    return 0
