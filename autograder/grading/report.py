"""The class report (report.html: grade histogram, exercise means, per-test pass rates) and the summary table."""

from __future__ import annotations

import io
from collections import Counter

import jinja2

from autograder.otter import crosscheck as otter_crosscheck
from autograder.results import NOT_RUN, PASSED, StudentResult, _number, write_atomic
from autograder.stubs import EXERCISE_NAMES

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("autograder", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def histogram_svg(totals: list[float], possible: float) -> str:
    """An inline SVG histogram of the students' totals, drawn with matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 2.6))
    axes = figure.add_subplot()
    upper = max(possible, max(totals, default=0), 1)
    axes.hist(totals, bins=10, range=(0, upper), color="#4a7bd0", edgecolor="white")
    axes.set_xlabel("points")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def pass_rates(results: list[StudentResult]) -> list[tuple[str, int, int]]:
    """(test name, students who passed it, students it ran for), in suite order."""
    passed, ran, order = Counter(), Counter(), {}
    for result in results:
        for test in result.tests:
            key = f"{test.exercise}: {test.name}"
            order.setdefault(key, len(order))
            if test.status != NOT_RUN:
                ran[key] += 1
                passed[key] += test.status == PASSED
    return [(key, passed[key], ran[key]) for key in sorted(order, key=order.get)]


def write_class_report(path, results: list[StudentResult]) -> None:
    totals = [r.total()[0] for r in results]
    possible = max((r.total()[1] for r in results), default=0)
    exercises = []
    for name in EXERCISE_NAMES:
        pairs = [r.exercise_points()[name] for r in results]
        exercises.append((name, sum(e for e, _ in pairs) / max(len(pairs), 1), max((p for _, p in pairs), default=0)))
    layers = sorted({layer for r in results for layer in r.isolation})
    otter_rows = [row for r in results for row in otter_crosscheck.compare(r)]
    html = _ENV.get_template("report.html.j2").render(
        results=results, mean=sum(totals) / max(len(totals), 1), possible=possible,
        complete=sum(r.status == "ok" for r in results), isolation=", ".join(layers) or "none recorded",
        histogram=jinja2.utils.markupsafe.Markup(histogram_svg(totals, possible)), exercises=exercises,
        exercise_names=EXERCISE_NAMES, rates=pass_rates(results), num=_number,
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
