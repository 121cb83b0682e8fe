"""`convkit validate`: prove the hidden suite grades what it should, through the real grading path.

A temporary class is graded like any other: the reference solutions (must get every point), the untouched
stubs (must get none) and one student per mutant of the catalogue in `tests/mutants.py` (each must lose
points on its own exercise and keep every point elsewhere). Any other outcome is printed and the command
exits 1.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from autograder import course, scratch
from autograder.grading import batch
from autograder.otter import export as otter
from autograder.results import StudentResult
from autograder.stubs import EXERCISE_NAMES, ROOT

MUTANT_CATALOGUE = ROOT / "tests" / "mutants.py"
KERAS_FILES = (course.keras_exercise().module_file,)
REFERENCE_WEIGHTS = ROOT / "examples" / "sample_class" / "ada_reference" / course.WEIGHTS_FILE


def load_mutants() -> list:
    """The mutant catalogue (`tests/mutants.py` in a checkout of the kit), or [] when it is not there."""
    if not MUTANT_CATALOGUE.is_file():
        return []
    spec = importlib.util.spec_from_file_location("convkit_mutants", MUTANT_CATALOGUE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(m, module.mutant_source(m)) for m in module.MUTANTS]


def build_class(class_dir: Path, mutants: list) -> None:
    """Write the validation class: `solutions`, `stubs` and `mutant-<id>` students.

    A mutant student submits the reference numpy modules (ex01-ex05; the Keras one only for a Keras
    mutant, since starting TensorFlow for each student costs seconds), with its own exercise mutated.
    """
    for student, folder in (("solutions", "solutions"), ("stubs", "exercises")):
        (class_dir / student).mkdir(parents=True)
        for name in EXERCISE_NAMES:
            shutil.copy(ROOT / folder / f"{name}.py", class_dir / student / f"{name}.py")
    # Weights the reference recipe trained, for the LeNet accuracy tests in weights mode.
    shutil.copy(REFERENCE_WEIGHTS, class_dir / "solutions" / REFERENCE_WEIGHTS.name)
    for mutant, source in mutants:
        student = class_dir / f"mutant-{mutant.id}"
        student.mkdir()
        for name in EXERCISE_NAMES:
            if f"{name}.py" not in KERAS_FILES or name == mutant.exercise:
                shutil.copy(class_dir / "solutions" / f"{name}.py", student / f"{name}.py")
        (student / f"{mutant.exercise}.py").write_text(source, encoding="utf-8")


def problems(results: dict[str, StudentResult], mutants: list) -> list[str]:
    """Every way the suite misgraded the validation class (empty when it is sound)."""
    found = []
    reference = results["solutions"].exercise_points()
    for name, (earned, possible) in reference.items():
        if earned != possible:
            found.append(f"solutions: {name} got {earned:g} / {possible:g}, expected full marks")
    for name, (earned, _) in results["stubs"].exercise_points().items():
        if earned:
            found.append(f"stubs: {name} got {earned:g} points, expected 0")
    for mutant, _ in mutants:
        points = results[f"mutant-{mutant.id}"].exercise_points()
        if points[mutant.exercise][0] >= reference[mutant.exercise][1]:
            found.append(f"mutant {mutant.id}: kept every point on {mutant.exercise} ({mutant.description})")
        submitted = {name.removesuffix(".py") for name in results[f"mutant-{mutant.id}"].files}
        for name, (earned, _) in points.items():
            if name != mutant.exercise and name in submitted and earned < reference[name][0]:
                found.append(f"mutant {mutant.id}: lost points on {name}, which it does not change")
    return found


def main(*, mutants: bool = True, jobs: int = 2) -> int:
    catalogue = load_mutants() if mutants else []
    if mutants and not catalogue:
        print(f"no mutant catalogue at {MUTANT_CATALOGUE}; validating solutions and stubs only")
    with scratch.folder("validate") as tmp:
        class_dir, out_dir = tmp / "class", tmp / "out"
        build_class(class_dir, catalogue)
        lenet = otter.lenet_mode_with_data("weights", "validate runs")
        graded = batch.grade_class(class_dir, batch.BatchOptions(out_dir=out_dir, jobs=jobs, lenet=lenet))
    results = {r.student: r for r in graded}
    for mutant, _ in catalogue:
        earned, possible = results[f"mutant-{mutant.id}"].exercise_points()[mutant.exercise]
        print(f"mutant {mutant.id:<32} {mutant.exercise:<18} {earned:>5g} / {possible:g}")
    found = problems(results, catalogue)
    for problem in found:
        print(f"PROBLEM: {problem}")
    total, possible = results["solutions"].total()
    print(f"validate: solutions {total:g}/{possible:g}, stubs {results['stubs'].total()[0]:g}, "
          f"mutants {len(catalogue)}, problems {len(found)}")
    return 1 if found else 0
