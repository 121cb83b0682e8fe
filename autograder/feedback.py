"""feedback.md: a student's points per exercise and, for every failed test, the check's three-part message."""

from __future__ import annotations

import re

import jinja2

from autograder.results import FAILED, NOT_RUN, PASSED, StudentResult, _number
from autograder.stubs import EXERCISE_NAMES

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("autograder", "templates"),
                          keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                          undefined=jinja2.StrictUndefined, autoescape=False)
_MARKS = {PASSED: "PASS", FAILED: "FAIL", NOT_RUN: "NOT RUN"}


def fenced(text: str) -> str:
    """`text` as a Markdown code block whose fence is longer than any run of backticks in it, so that
    whatever a student's code made the text say stays literal (no headings, links or HTML)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def inline(text: str) -> str:
    """`text` on one line as a Markdown code span, delimited by a run of backticks the text does not hold."""
    text = " ".join(str(text).split())
    runs = {len(run) for run in re.findall(r"`+", text)}
    width = next(n for n in range(1, len(runs) + 2) if n not in runs)
    return f"{'`' * width} {text} {'`' * width}"


_ENV.filters.update(fenced=fenced, inline=inline)


def feedback_markdown(result: StudentResult) -> str:
    """The student's feedback page in Markdown."""
    total, possible = result.total()
    by_exercise = {name: [t for t in result.tests if t.exercise == name] for name in EXERCISE_NAMES}
    return _ENV.get_template("feedback.md.j2").render(
        r=result, total=_number(total), possible=_number(possible), points=result.exercise_points(),
        by_exercise=by_exercise, shared={name: _shared_output(tests) for name, tests in by_exercise.items()},
        mark=_MARKS, num=_number)


def _shared_output(tests) -> str:
    """The one message every test of an exercise failed with ("not submitted", an import error), else ""."""
    outputs = {t.output for t in tests}
    if len(tests) > 1 and len(outputs) == 1 and all(t.status != PASSED for t in tests):
        return outputs.pop()
    return ""
