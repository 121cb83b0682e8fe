"""The result model: one test's verdict, one student's results, and the files written from them.

Points are declared once, by `@pytest.mark.points(n)` on each hidden test; everything here is derived:
a student's per-exercise points, the grades.csv row and Gradescope's results.json. Files are written
atomically (a temporary file renamed into place), so an interrupted batch never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from autograder import course
from autograder.verdicts import Status

EXERCISE_NAMES = course.names()

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
CSV_HEADER = ["student", *EXERCISE_NAMES, "total", "possible", "status"]


@dataclass
class TestResult:
    """The verdict of one hidden test for one student."""

    __test__ = False  # Not a pytest test class, despite its name.

    exercise: str
    name: str
    max_score: float
    score: float = 0.0
    status: str = FAILED
    output: str = ""
    reason: str = ""
    #: File name, beside feedback.md, of the picture of a wrong array answer (got, expected, difference).
    figure: str = ""


@dataclass
class StudentResult:
    """Everything graded for one student: the source of results.json, feedback.md and the CSV row."""

    student: str
    tests: list[TestResult] = field(default_factory=list)
    status: str = Status.OK
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: `convkit grade --otter`: exercise -> Otter's advisory score `{"earned", "possible"}` or `{"error"}`.
    otter: dict[str, dict] = field(default_factory=dict)
    #: The settings the student was graded with (`course.Settings.record()` plus the isolation layers); empty in
    #: records written before settings were recorded, which `--resume` reads as graded with the defaults.
    settings: dict = field(default_factory=dict)

    def exercise_points(self) -> dict[str, tuple[float, float]]:
        """Exercise -> (points earned, points possible); tests that did not run count in neither."""
        points = {name: (0.0, 0.0) for name in EXERCISE_NAMES}
        for test in self.tests:
            if test.status == NOT_RUN:
                continue
            earned, possible = points[test.exercise]
            points[test.exercise] = (earned + test.score, possible + test.max_score)
        return points

    def total(self) -> tuple[float, float]:
        return total_of(self.exercise_points())

    def csv_row(self) -> list[str]:
        points = self.exercise_points()
        total, possible = total_of(points)
        return [self.student, *(_number(points[name][0]) for name in EXERCISE_NAMES),
                _number(total), _number(possible), self.status]

    def to_json(self) -> dict:
        """The convkit record (results.json's `extra_data`), from which the result can be rebuilt. (As
        `dataclasses.asdict` would give, but copied one level deep: the record is rewritten every half
        second while a student is graded, and asdict's deep copy was a tenth of the grading process's time.)"""
        record = {name: _copy(getattr(self, name)) for name in _STUDENT_FIELDS}
        record["tests"] = [{name: getattr(test, name) for name in _TEST_FIELDS} for test in self.tests]
        return record

    @classmethod
    def from_json(cls, data: dict) -> StudentResult:
        """The result stored by `to_json`; keys a newer or older kit wrote that this one lacks are ignored."""
        known = {f.name for f in fields(TestResult)}
        tests = [TestResult(**{k: v for k, v in t.items() if k in known}) for t in data.get("tests", [])]
        own = {f.name for f in fields(cls)}
        return cls(**{**{k: v for k, v in data.items() if k in own}, "tests": tests})


def total_of(points: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """(points earned, points possible) over the exercises of `StudentResult.exercise_points()`."""
    pairs = points.values()
    return sum(e for e, _ in pairs), sum(p for _, p in pairs)


_TEST_FIELDS = tuple(f.name for f in fields(TestResult))
_STUDENT_FIELDS = tuple(f.name for f in fields(StudentResult))


def _copy(value):
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return {key: dict(inner) if isinstance(inner, dict) else inner for key, inner in value.items()}
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


#: Gradescope's visibility settings of a test: always shown, after the (late) due date, once the instructor
#: publishes the grades, never shown to students.
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
#: What the kit did before the choice existed, and Gradescope's own default.
DEFAULT_VISIBILITY = "visible"
_SHOWN = {"visible": "", "after_due_date": "after the due date", "after_published": "once grades are published",
          "hidden": "to the instructor only"}


def check_visibility(visibility: str) -> str:
    """`visibility` if it is one of `VISIBILITIES`, else ValueError."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    return visibility


def gradescope_results(result: StudentResult, *, visibility: str = DEFAULT_VISIBILITY,
                       render_html: Callable[[TestResult, str], str] | None = None) -> dict:
    """Gradescope's results.json: score, tests (name, score, max_score, status, output, output_format, visibility).

    Every test gets `visibility`. The top level stays visible (Gradescope itself hides the total while tests are
    hidden) and its output, which names the student's files, is plain text (Gradescope's default for it,
    "simple_format", would render HTML); it states the points only when the tests are visible. A test's output is
    its text ("text" format), or, with `render_html(test, text)`, that HTML ("html" format).
    """
    check_visibility(visibility)
    total, possible = result.total()
    tests = []
    for test in result.tests:
        text = test.output
        entry = {"name": f"{test.exercise}: {test.name}", "score": test.score, "max_score": test.max_score}
        if test.status == NOT_RUN:
            # Worth nothing here, so that the tests add up to the score's total, as in grades.csv.
            entry["max_score"] = 0.0
            text = f"{test.output} (worth {_number(test.max_score)} points when run)"
        else:
            entry["status"] = test.status
        entry["output"] = render_html(test, text) if render_html else text
        entry["output_format"] = "html" if render_html else "text"
        entry["visibility"] = visibility
        tests.append(entry)
    if visibility == DEFAULT_VISIBILITY:
        lines = [f"convkit: {_number(total)} / {_number(possible)} points; status {result.status}"]
    else:
        lines = [f"convkit: the results of {len(tests)} tests are shown {_SHOWN[visibility]}; "
                 f"status {result.status}"]
    lines += [f"warning: {w}" for w in result.warnings]
    return {"score": total, "output": "\n".join(lines), "output_format": "text", "visibility": "visible",
            "tests": tests, "extra_data": {"convkit": result.to_json()}}


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_grades_csv(path: Path, results: list[StudentResult]) -> None:
    """grades.csv: the header, then one row per student sorted by id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow(result.csv_row())
    write_atomic(path, buffer.getvalue())


def load_student_result(path: Path) -> StudentResult | None:
    """The result stored in a results.json, or None when the file is missing or not one of ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StudentResult.from_json(data["extra_data"]["convkit"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
