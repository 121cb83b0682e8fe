"""Seconds per submission: `convkit grade` (sandboxed) against `otter run` on the same submissions.

    python benchmarks/grading.py [--submissions N] [--class-size M] [--lenet-class K]

The submissions are the reference numpy modules (ex01-ex05) and mutants of them from `tests/mutants.py`, so
every submission has five modules. Each submission is graded by both tools in turn (convkit, Otter, convkit,
Otter ...), so a machine that gets busier or quieter during the run moves both alike: convkit grades it with
one `convkit grade` of a one-student class (`--lenet skip`), Otter runs `otter run` once per module with that
exercise's zip from `convkit otter`, and a submission's time is the sum. The speedup is the median of the
per-submission ratios. Then a `convkit grade --jobs 2` batch of M submissions gives a class's throughput, and
one of K full six-exercise submissions with the reference LeNet weights (`--lenet weights`, MNIST from
`CONVKIT_DATA_DIR`) the LeNet cost per student. The last line is `grading: submissions=N convkit_s=X
otter_s=Y speedup=Z class100_s=T lenet_student_s=L` (X, Y: median seconds per submission; T: seconds for
the class of M; L: seconds per full submission in the batch of K).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import course, validate  # noqa: E402
from autograder.otter import export as otter  # noqa: E402

NUMPY_EXERCISES = course.names("numpy")
LENET = course.keras_exercise()
REFERENCE_STUDENT = ROOT / "examples" / "sample_class" / "ada_reference"


def build_class(folder: Path, count: int) -> list[Path]:
    """`count` submissions: the reference modules, then one mutant each, cycling through the catalogue."""
    mutants = validate.load_mutants()
    students = []
    for index in range(count):
        student = folder / f"s{index:03d}"
        student.mkdir(parents=True)
        for name in NUMPY_EXERCISES:
            shutil.copy(ROOT / "solutions" / f"{name}.py", student / f"{name}.py")
        if index and mutants:
            mutant, source = mutants[(index - 1) % len(mutants)]
            (student / f"{mutant.exercise}.py").write_text(source)
        students.append(student)
    return students


def build_lenet_class(folder: Path, count: int) -> None:
    """`count` full submissions: the five reference numpy modules, the reference LeNet and its weights."""
    for index in range(count):
        student = folder / f"l{index:03d}"
        student.mkdir(parents=True)
        for name in course.HAND_IN_FILES:
            shutil.copy((ROOT / "solutions" / name) if name.endswith(".py") else REFERENCE_STUDENT / name, student)


def time_convkit(class_dir: Path, out_dir: Path, jobs: int, lenet: str = "skip") -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out_dir),
                    "--jobs", str(jobs), "--lenet", lenet], check=True, capture_output=True, cwd=ROOT)
    return time.monotonic() - started


def time_otter(student: Path, zips: dict[str, Path]) -> float:
    started = time.monotonic()
    for name in NUMPY_EXERCISES:
        otter.otter_scores(student / f"{name}.py", name, zips[name])
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5, help="submissions timed with both tools, in turn")
    parser.add_argument("--class-size", type=int, default=100, help="submissions in the --jobs 2 batch")
    parser.add_argument("--lenet-class", type=int, default=20,
                        help="full submissions with LeNet weights in the --jobs 2 batch (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convkit-bench-") as tmp:
        tmp = Path(tmp)
        zips = {path.stem: path for path in otter.build_all(tmp / "zips", list(NUMPY_EXERCISES), lenet="skip")}
        convkit_times, otter_times = [], []
        for index, student in enumerate(build_class(tmp / "pool", args.submissions)):
            alone = tmp / f"class-{index}"
            alone.mkdir()
            shutil.move(student, alone / student.name)
            convkit_times.append(time_convkit(alone, tmp / f"out-{index}", jobs=1))
            otter_times.append(time_otter(alone / student.name, zips))
        build_class(tmp / "big", args.class_size)
        class_seconds = time_convkit(tmp / "big", tmp / "big-out", jobs=2)
        lenet_s = float("nan")
        if args.lenet_class and os.environ.get("CONVKIT_DATA_DIR"):
            build_lenet_class(tmp / "lenet", args.lenet_class)
            lenet_s = time_convkit(tmp / "lenet", tmp / "lenet-out", jobs=2, lenet="weights") / args.lenet_class
    convkit_s, otter_s = statistics.median(convkit_times), statistics.median(otter_times)
    speedup = statistics.median(o / c for c, o in zip(convkit_times, otter_times, strict=True))
    print(f"{'pair':<6}{'convkit grade (s)':>20}{'otter run x5 (s)':>20}{'ratio':>8}")
    for index, (c, o) in enumerate(zip(convkit_times, otter_times, strict=True)):
        print(f"{index:<6}{c:>20.2f}{o:>20.2f}{o / c:>8.1f}")
    print(f"{'median':<6}{convkit_s:>20.2f}{otter_s:>20.2f}{speedup:>8.1f}")
    print(f"convkit grade --jobs 2: {args.class_size} numpy submissions in {class_seconds:.1f} s "
          f"({3600 * args.class_size / class_seconds:.0f} per hour)")
    if lenet_s == lenet_s:
        print(f"convkit grade --jobs 2 --lenet weights: {args.lenet_class} full submissions, {lenet_s:.2f} s each")
    else:
        print("LeNet batch not run (set CONVKIT_DATA_DIR, and --lenet-class above 0)")
    print(f"grading: submissions={len(convkit_times)} convkit_s={convkit_s:.2f} otter_s={otter_s:.2f} "
          f"speedup={speedup:.1f} class{args.class_size}_s={class_seconds:.1f} lenet_student_s={lenet_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
