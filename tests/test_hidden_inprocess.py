"""The hidden suites of exercises 1-5, graded in-process: is the grading itself right?

Each check runs `python -m pytest <hidden suites> --convkit-inprocess=<package>` in a subprocess and reads
the JUnit report; the points of a test are those of its `points` marker (declared once, in the hidden test
file). The reference solutions must get 50 / 50, the student stubs 0, and every mutant of the catalogue in
`tests/mutants.py` (a copy of solutions/ with one common mistake written in) must lose points on its own
exercise and keep every point on the four others.

Run with `-s` to see the table of points each mutant kept.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import course

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = ROOT / "autograder" / "hidden"
EXERCISES = course.names("numpy")
CANDIDATE = "candidate"  # package name of a mutated copy of solutions/


def _load_catalogue():
    spec = importlib.util.spec_from_file_location("convkit_mutants", ROOT / "tests" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogue = _load_catalogue()


def declared_points() -> dict[tuple[str, str], float]:
    """(exercise, test function name) -> the points its marker declares, for every hidden test of ex01-ex05."""
    points = {}
    for exercise in EXERCISES:
        module = importlib.import_module(f"autograder.hidden.test_{exercise}")
        for name, function in vars(module).items():
            if name.startswith("test_") and callable(function):
                marks = [m for m in getattr(function, "pytestmark", []) if m.name == "points"]
                assert len(marks) == 1, f"{exercise}::{name} needs exactly one points marker, has {len(marks)}"
                points[(exercise, name)] = float(marks[0].args[0])
    return points


def grade(package: str, pythonpath: Path, workdir: Path) -> dict[str, tuple[float, float]]:
    """Run the five hidden suites against `package` (importable from `pythonpath`): exercise -> (earned, possible)."""
    report = workdir / f"junit-{package}-{os.getpid()}.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pythonpath), str(ROOT)]))
    command = [sys.executable, "-m", "pytest", *(str(HIDDEN / f"test_{e}.py") for e in EXERCISES), "-q",
               "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly",
               "-c", str(HIDDEN / "pytest.ini"), "--rootdir", str(HIDDEN),
               f"--convkit-inprocess={package}", f"--junitxml={report}"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"pytest exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    points = declared_points()
    scores = {exercise: [0.0, 0.0] for exercise in EXERCISES}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        exercise = case.get("classname").rsplit(".", 1)[-1].removeprefix("test_")
        worth = points[(exercise, case.get("name").partition("[")[0])]
        passed = not any(child.tag in ("failure", "error", "skipped") for child in case)
        scores[exercise][0] += worth if passed else 0.0
        scores[exercise][1] += worth
    return {exercise: (earned, possible) for exercise, (earned, possible) in scores.items()}


def mutant_package(mutant, parent: Path) -> Path:
    """A directory holding package `candidate`: solutions/ with the mutant written into its exercise."""
    package = parent / CANDIDATE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for exercise in EXERCISES:
        shutil.copy(ROOT / "solutions" / f"{exercise}.py", package / f"{exercise}.py")
    (package / f"{mutant.exercise}.py").write_text(catalogue.mutant_source(mutant), encoding="utf-8")
    return parent


@pytest.fixture(scope="module")
def mutant_scores(tmp_path_factory) -> dict[str, dict[str, tuple[float, float]]]:
    """Every mutant graded once (two at a time): mutant id -> exercise -> (earned, possible)."""
    base = tmp_path_factory.mktemp("mutants")

    def run(index_mutant):
        index, mutant = index_mutant
        parent = mutant_package(mutant, base / f"m{index:02d}")
        return mutant.id, grade(CANDIDATE, parent, parent)

    with ThreadPoolExecutor(max_workers=2) as pool:
        scores = dict(pool.map(run, enumerate(catalogue.MUTANTS)))
    print("\nmutant                                   exercise            kept        elsewhere")
    for mutant in catalogue.MUTANTS:
        own = scores[mutant.id][mutant.exercise][0]
        others = sum(earned for e, (earned, _) in scores[mutant.id].items() if e != mutant.exercise)
        print(f"{mutant.id:<40} {mutant.exercise:<19} {own:>4g}        {others:g}")
    return scores


@pytest.fixture(scope="module")
def reference_scores(tmp_path_factory) -> dict[str, tuple[float, float]]:
    """The reference solutions graded once: exercise -> (earned, possible), the points from the markers."""
    return grade("solutions", ROOT, tmp_path_factory.mktemp("reference"))


def test_the_reference_solutions_get_every_point(reference_scores):
    assert set(reference_scores) == set(EXERCISES) and all(p > 0 for _, p in reference_scores.values())
    assert reference_scores == {exercise: (possible, possible) for exercise, (_, possible) in reference_scores.items()}


def test_the_student_stubs_get_no_point(tmp_path, reference_scores):
    scores = grade("exercises", ROOT, tmp_path)
    assert scores == {exercise: (0, possible) for exercise, (_, possible) in reference_scores.items()}


def test_the_catalogue_holds_at_least_twenty_mutants_covering_every_exercise():
    assert len(catalogue.MUTANTS) >= 20
    assert {m.exercise for m in catalogue.MUTANTS} == set(EXERCISES)
    assert len({m.id for m in catalogue.MUTANTS}) == len(catalogue.MUTANTS), "mutant ids must be unique"


def test_every_mutant_snippet_occurs_exactly_once_in_its_solution():
    for mutant in catalogue.MUTANTS:
        assert catalogue.mutant_source(mutant) != (ROOT / "solutions" / f"{mutant.exercise}.py").read_text()


def test_a_snippet_missing_from_the_solution_fails_loudly():
    stale = catalogue.Mutant("stale", "ex01_convolution", "no longer in the solution", "no such text", "")
    with pytest.raises(ValueError, match="occurs 0 times"):
        catalogue.mutant_source(stale)


@pytest.mark.parametrize("mutant", catalogue.MUTANTS, ids=[m.id for m in catalogue.MUTANTS])
def test_a_mutant_loses_points_on_its_own_exercise_and_on_no_other(mutant_scores, reference_scores, mutant):
    scores = mutant_scores[mutant.id]
    earned, possible = scores[mutant.exercise]
    assert possible == reference_scores[mutant.exercise][1]
    assert earned < possible, f"{mutant.id} ({mutant.description}) kept every point on {mutant.exercise}"
    elsewhere = {e: s for e, s in scores.items() if e != mutant.exercise and s[0] != s[1]}
    assert not elsewhere, f"{mutant.id} also lost points on {elsewhere}"
