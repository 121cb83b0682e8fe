"""Seconds per submission: `convkit grade` (sandboxed) against `otter run` on the same submissions, one run.

    python benchmarks/grading.py [--submissions N] [--class-size M]

The submissions are the reference numpy modules (ex01-ex05) and mutants of them from `tests/mutants.py`, so
every submission has five modules. convkit grades each whole submission in one `convkit grade` batch
(`--jobs 1`, `--lenet skip`); Otter runs `otter run` once per module with that exercise's zip from
`convkit otter`, and a submission's time is the sum. A second `convkit grade` batch of M submissions with
`--jobs 2` gives the throughput of a class. The last line is
`grading: submissions=N convkit_s=X otter_s=Y speedup=Z` (seconds per submission; speedup = Y / X).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import validate  # noqa: E402
from autograder.otter import export as otter  # noqa: E402

NUMPY_EXERCISES = ("ex01_convolution", "ex02_padding", "ex03_feature_maps", "ex04_pooling", "ex05_parameters")


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


def time_convkit(class_dir: Path, out_dir: Path, jobs: int) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out_dir),
                    "--jobs", str(jobs), "--lenet", "skip"], check=True, capture_output=True, cwd=ROOT)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=5, help="submissions timed with both tools")
    parser.add_argument("--class-size", type=int, default=100, help="submissions in the --jobs 2 batch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="convkit-bench-") as tmp:
        tmp = Path(tmp)
        zips = {path.stem: path for path in otter.build_all(tmp / "zips", list(NUMPY_EXERCISES), lenet="skip")}
        students = build_class(tmp / "class", args.submissions)
        convkit_total = time_convkit(tmp / "class", tmp / "out", jobs=1)
        otter_times = []
        for student in students:
            started = time.monotonic()
            for name in NUMPY_EXERCISES:
                otter.otter_scores(student / f"{name}.py", name, zips[name])
            otter_times.append(time.monotonic() - started)
        build_class(tmp / "big", args.class_size)
        class_seconds = time_convkit(tmp / "big", tmp / "big-out", jobs=2)
    convkit_s = convkit_total / len(students)
    otter_s = sum(otter_times) / len(otter_times)
    print(f"{'tool':<34}{'submissions':>12}{'seconds/submission':>20}")
    print(f"{'convkit grade --jobs 1 (sandboxed)':<34}{len(students):>12}{convkit_s:>20.2f}")
    print(f"{'otter run (5 zips per submission)':<34}{len(students):>12}{otter_s:>20.2f}")
    print(f"{'convkit grade --jobs 2':<34}{args.class_size:>12}{class_seconds / args.class_size:>20.2f}"
          f"   ({args.class_size} submissions in {class_seconds:.0f} s, "
          f"{3600 * args.class_size / class_seconds:.0f} per hour)")
    print(f"grading: submissions={len(students)} convkit_s={convkit_s:.2f} otter_s={otter_s:.2f} "
          f"speedup={otter_s / convkit_s:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
