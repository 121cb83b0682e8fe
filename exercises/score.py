"""Estimate your points from the public tests, per exercise, out of the points the grader gives.

    python -m exercises.score                  # runs the public tests once, then prints the table
    python -m exercises.score public-tests.xml # the table for an existing JUnit report (the CI workflow)

The points possible come from `exercises/course.json`, written when the bundle was made from the grader's
hidden suite. The estimate scales each exercise's total by the share of its public tests you pass:

    estimate = possible * passed / run

It is only an estimate. The hidden tests use random inputs of every shape and dtype the docstrings allow
(odd sizes, integer images, non-square kernels, channels), check that inputs are not modified, and for the
LeNet-5 measure the test accuracy of your saved weights; a function fitted to the public examples passes
them and still loses points.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

COURSE_FILE = Path(__file__).resolve().parent / "course.json"
HIDDEN_TESTS_NOTE = ("The hidden tests add random inputs of every shape and dtype the docstrings allow, check "
                     "that your inputs are not modified, and measure your LeNet-5's accuracy: passing the public "
                     "tests is necessary, not sufficient.")


def course() -> dict:
    """The bundle's course data: {"points": {exercise: possible}, "hand_in": [file names]}.

    In the student bundle it is `exercises/course.json`; in the course kit itself (which has no such file)
    it is computed from the grader's registry and hidden suite.
    """
    if COURSE_FILE.is_file():
        return json.loads(COURSE_FILE.read_text())
    try:
        from autograder.release import course_data
    except ImportError:
        raise FileNotFoundError(f"{COURSE_FILE} is missing: it is written by the instructor's `convkit release`, "
                                "so ask for a fresh copy of the exercises") from None
    return course_data()


def exercise_counts(report_path: str) -> tuple[Counter, Counter]:
    """(passed, total) test counts per exercise module named in the report's test class names."""
    passed, total = Counter(), Counter()
    for case in ElementTree.parse(report_path).getroot().iter("testcase"):
        match = re.search(r"test_(ex\d\d_\w+)", case.get("classname", "") + " " + case.get("file", ""))
        name = match.group(1) if match else "other"
        if case.find("skipped") is not None:
            continue
        total[name] += 1
        passed[name] += case.find("failure") is None and case.find("error") is None
    return passed, total


def score_table(report_path: str, points: dict[str, float] | None = None) -> str:
    """The Markdown table for one report: public tests passed and the points estimate per exercise."""
    passed, total = exercise_counts(report_path)
    points = course()["points"] if points is None else points
    lines = ["| exercise | public tests passed | points (estimate) |", "|---|---|---|"]
    earned_all = 0.0
    for name in sorted(set(total) | set(points)):
        possible = points.get(name, 0.0)
        earned = possible * passed[name] / total[name] if total[name] else 0.0
        earned_all += earned
        lines.append(f"| {name} | {passed[name]} / {total[name]} | {earned:.1f} / {possible:g} |")
    lines.append(f"| **all** | **{sum(passed.values())} / {sum(total.values())}** | "
                 f"**{earned_all:.1f} / {sum(points.values()):g}** |")
    return "\n".join(lines) + "\n\n" + HIDDEN_TESTS_NOTE + "\n"


def run_public_tests(report_path: Path) -> int:
    """Run `pytest exercises` quietly, writing a JUnit report; returns pytest's exit status."""
    command = [sys.executable, "-m", "pytest", "exercises", "-q", "--tb=no", "--no-header",
               "-p", "no:cacheprovider", f"--junitxml={report_path}"]
    return subprocess.run(command, cwd=COURSE_FILE.parent.parent, stdout=subprocess.DEVNULL).returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1:
        print("usage: python -m exercises.score [REPORT.xml]", file=sys.stderr)
        return 2
    if argv:
        sys.stdout.write(score_table(argv[0]))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "public-tests.xml"
        status = run_public_tests(report)
        if not report.is_file():
            print(f"the public tests did not run (pytest exit status {status})", file=sys.stderr)
            return 1
        sys.stdout.write(score_table(str(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
