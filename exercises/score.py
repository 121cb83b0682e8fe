"""Print a Markdown score table from a JUnit XML report of the public tests.

    pytest exercises --junitxml=public-tests.xml
    python -m exercises.score public-tests.xml

One row per exercise: tests passed out of tests run. The CI workflow appends it to the job summary.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter


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


def score_table(report_path: str) -> str:
    """The Markdown table for one report."""
    passed, total = exercise_counts(report_path)
    lines = ["| exercise | public tests passed |", "|---|---|"]
    lines += [f"| {name} | {passed[name]} / {total[name]} |" for name in sorted(total)]
    lines.append(f"| **all** | **{sum(passed.values())} / {sum(total.values())}** |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m exercises.score REPORT.xml", file=sys.stderr)
        return 2
    sys.stdout.write(score_table(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
