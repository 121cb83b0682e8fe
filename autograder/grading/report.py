"""The class report (report.html): who needs attention, which named mistakes the class made, per-test pass
rates over the students who submitted the exercise, and the students' table; plus the console summary table.

Every table of the page sorts when its header is clicked (a few lines of plain JavaScript, no framework, no
network), and every student links to the rendered feedback.html beside feedback.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import jinja2

from autograder.course import FEEDBACK_HTML
from autograder.otter import crosscheck as otter_crosscheck
from autograder.results import NOT_RUN, PASSED, StudentResult, _number, total_of, write_atomic
from autograder.sandbox import isolation
from autograder.stubs import EXERCISE_NAMES
from autograder.verdicts import Reason, Status

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("autograder", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)

#: Per-test reasons that call for the instructor's eye, with the heading they are listed under.
#: A wrong answer or an exception is a student's ordinary mistake and is left to the mistake summary.
ATTENTION_REASONS = {
    Reason.TIMEOUT: "timeouts", Reason.IMPORT_TIMEOUT: "timeouts",
    Reason.CRASHED: "crashes", Reason.MEMORY: "memory limit",
    Reason.FORBIDDEN: "forbidden API",
    Reason.EXITED: "suspected tampering (exit or signal from student code)",
    Reason.INVALID_SUBMISSION: "invalid submission", Reason.ANSWER_TOO_LARGE: "answer too large",
    Reason.GRADER_ERROR: "grader errors", Reason.STARVED: "starved verdicts",
    Reason.IMPORT_ERROR: "import errors",
}
#: Student statuses other than ok, with their heading.
ATTENTION_STATUSES = {
    Status.NOTHING_GRADED: "nothing graded", Status.INVALID_SUBMISSION: "invalid submission",
    Status.STARVED: "starved verdicts", Status.DEADLINE: "deadline", Status.GRADER_ERROR: "grader errors",
}
#: The order of the headings on the page: the most urgent first.
ATTENTION_ORDER = ["grader errors", "nothing graded", "invalid submission",
                   "suspected tampering (Otter disagreement)",
                   "suspected tampering (exit or signal from student code)", "forbidden API", "timeouts",
                   "crashes", "memory limit", "answer too large", "import errors", "starved verdicts", "deadline"]

HINT_PREFIX = "hint: "


HISTOGRAM_BINS = 10


def histogram_bins(totals: list[float], possible: float, bins: int = HISTOGRAM_BINS) -> list[tuple[float, float, int]]:
    """`bins` equal bins (low, high, students) over [0, max(possible, best total)]; the last bin includes its
    upper edge, as numpy's histogram does, so a full mark lands in the top bin."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    upper = max(possible, max(totals, default=0), 1)
    width = upper / bins
    counts = [0] * bins
    for total in totals:
        counts[min(max(int(total // width), 0), bins - 1)] += 1
    return [(index * width, (index + 1) * width, count) for index, count in enumerate(counts)]


def histogram_svg(totals: list[float], possible: float) -> str:
    """An inline SVG histogram of the students' totals: bars of `histogram_bins`, an integer student axis, and a
    tooltip per bar. Drawn from a template, so writing the report imports no plotting library."""
    bars = histogram_bins(totals, possible)
    tallest = max(count for _, _, count in bars) or 1
    step = max(1, -(-tallest // 5))  # At most about five gridlines, at whole numbers of students.
    return _ENV.get_template("histogram.svg.j2").render(
        bars=bars, tallest=-(-tallest // step) * step, step=step)


def submitted(result: StudentResult) -> set[str]:
    """The exercises the student handed in: those with some test that ran and did not fail as "not submitted"."""
    return {t.exercise for t in result.tests
            if t.status != NOT_RUN and Reason.parse(t.reason or "") is not Reason.NOT_SUBMITTED}


def display_name(name: str) -> str:
    """A test's name with the exercise functions spelled as in code: `max_pool2d ...`, not `max pool2d ...`."""
    from autograder.course import EXERCISES

    functions = sorted((f for e in EXERCISES for f in e.functions), key=len, reverse=True)
    for function in functions:
        spaced = function.replace("_", " ")
        if spaced != function:
            name = name.replace(spaced, function)
    return name


def pass_rates(results: list[StudentResult]) -> list[tuple[str, str, int, int]]:
    """(exercise, test name, students who passed it, submitters it ran for), in suite order.

    The denominator counts only students who submitted the exercise and for whom the test ran, so a class
    where half did not hand in ex04 does not read as half failing max_pool2d.
    """
    passed, ran, order = Counter(), Counter(), {}
    for result in results:
        handed_in = submitted(result)
        for test in result.tests:
            key = (test.exercise, test.name)
            order.setdefault(key, len(order))
            if test.status != NOT_RUN and test.exercise in handed_in:
                ran[key] += 1
                passed[key] += test.status == PASSED
    return [(key[0], display_name(key[1]), passed[key], ran[key]) for key in sorted(order, key=order.get)]


def hints(output: str) -> list[str]:
    """The named-mistake sentences of a test's output: its lines starting with "hint: " (exercises/checks.py)."""
    return [line[len(HINT_PREFIX):].strip() for line in output.splitlines()
            if line.startswith(HINT_PREFIX) and line[len(HINT_PREFIX):].strip()]


def mistake_summary(results: list[StudentResult]) -> list[dict]:
    """Per exercise, each named hint with the students who got it, most common first.

    Returns dicts {exercise, hint, students (sorted ids), submitters (how many handed the exercise in)}.
    A student is counted once per hint and exercise, however many tests gave it.
    """
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in results:
        for test in result.tests:
            if test.status != PASSED:
                for hint in hints(test.output):
                    who[(test.exercise, hint)].add(result.student)
    submitters = Counter(name for r in results for name in submitted(r))
    rows = [{"exercise": exercise, "hint": hint, "students": sorted(students), "submitters": submitters[exercise]}
            for (exercise, hint), students in who.items()]
    rank = {name: i for i, name in enumerate(EXERCISE_NAMES)}
    return sorted(rows, key=lambda row: (rank.get(row["exercise"], len(rank)), -len(row["students"]), row["hint"]))


def needs_attention(results: list[StudentResult], otter_rows: list[dict] = ()) -> list[tuple[str, list[dict]]]:
    """(heading, entries) in urgency order; each entry {student, what} says what to look at.

    Built from each student's status (anything but ok), each test's reason (timeouts, crashes, memory,
    forbidden API, an exit or signal from student code, grader errors, starved verdicts ...) and the
    Otter cross-check's disagreements (a submission that changed Otter's tests scores more there).
    """
    # heading -> student -> what -> exercises it happened in ("" for the student's status).
    found: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for result in results:
        status = Status.parse(result.status)
        if status is not Status.OK:
            heading = ATTENTION_STATUSES.get(status, "grader errors" if status is None else str(status))
            found[heading][result.student][f"status {result.status}"].add("")
        for test in result.tests:
            reason = Reason.parse(test.reason or "")
            if reason in ATTENTION_REASONS:
                found[ATTENTION_REASONS[reason]][result.student][str(reason)].add(test.exercise)
    for row in otter_rows:
        if row["verdict"] != "agree":
            found["suspected tampering (Otter disagreement)"][row["student"]][row["verdict"]].add(row["exercise"])
    order = ATTENTION_ORDER + sorted(set(found) - set(ATTENTION_ORDER))

    def describe(whats: dict) -> str:
        parts = []
        for what, exercises in sorted(whats.items()):
            named = sorted(e.split("_")[0] for e in exercises if e)
            parts.append(f"{what} in {', '.join(named)}" if named else what)
        return "; ".join(parts)
    return [(heading, [{"student": student, "what": describe(whats)}
                       for student, whats in sorted(found[heading].items())])
            for heading in order if heading in found]


def write_class_report(path, results: list[StudentResult], similarity: str | None = None) -> None:
    """Write report.html at `path`, and each student's feedback.html beside its feedback.md.

    `similarity`, when given, is the file name (beside the report) of the similarity page it links to.
    """
    from autograder.grading.feedback import feedback_html
    from autograder.grading.similarity import SIMILARITY_HTML

    path = Path(path)
    if similarity is None and (path.parent / SIMILARITY_HTML).is_file():
        similarity = SIMILARITY_HTML
    for result in results:
        folder = path.parent / result.student
        if folder.is_dir():
            write_atomic(folder / FEEDBACK_HTML, feedback_html(result))
    points = [r.exercise_points() for r in results]
    totals = [total_of(student)[0] for student in points]
    possible = max((total_of(student)[1] for student in points), default=0)
    handed_in = [submitted(r) for r in results]
    exercises = []
    for name in EXERCISE_NAMES:
        pairs = [student[name] for student, names in zip(points, handed_in, strict=True) if name in names]
        exercises.append((name, len(pairs), sum(e for e, _ in pairs) / max(len(pairs), 1),
                          max((p for _, p in pairs), default=0)))
    layers = sorted({layer for r in results for layer in r.isolation})
    # A layer some student was graded without, and what its absence allowed that student's code to do.
    missing = list(dict.fromkeys(pair for r in results if r.isolation
                                 for pair in isolation.missing_layers(r.isolation)))
    otter_rows = [row for r in results for row in otter_crosscheck.compare(r)]
    html = _ENV.get_template("report.html.j2").render(
        results=results, mean=sum(totals) / max(len(totals), 1), possible=possible,
        complete=sum(r.status == "ok" for r in results), isolation=", ".join(layers) or "none recorded",
        missing_layers=missing,
        histogram=jinja2.utils.markupsafe.Markup(histogram_svg(totals, possible)), exercises=exercises,
        exercise_names=EXERCISE_NAMES, rates=pass_rates(results), num=_number,
        attention=needs_attention(results, otter_rows), mistakes=mistake_summary(results),
        feedback=FEEDBACK_HTML, similarity=similarity,
        otter_rows=otter_rows, otter_flagged=[row for row in otter_rows if row["verdict"] != "agree"])
    write_atomic(path, html)


def print_summary(results: list[StudentResult], console) -> None:
    """A table of every student's points per exercise, total and status."""
    from rich.table import Table

    table = Table(title="convkit grades")
    table.add_column("student", no_wrap=True)
    for name in EXERCISE_NAMES:
        table.add_column(name[:4], justify="right")
    for column in ("total", "possible"):
        table.add_column(column, justify="right")
    table.add_column("status", no_wrap=True)
    for result in results:
        row = result.csv_row()
        table.add_row(*row[:-1], row[-1] if result.status == "ok" else f"[red]{row[-1]}[/red]")
    console.print(table)
