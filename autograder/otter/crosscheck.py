"""`convkit grade --otter`: an advisory second opinion from Otter-Grader, run inside the sandbox.

Each submitted exercise module is also graded with `otter run` and the zip `convkit otter` builds with the
same seed and LeNet mode, so for an honest submission Otter's points equal convkit's, point for point.
`otter run` executes the student's module and Otter's tests in one kernel, so it runs like a sandbox
worker (`autograder.otter.sandboxed`: limits, a size-limited writable folder, no network or host folder to
write under bubblewrap). Only Otter's score, or a fixed reason word when it gave none, enters the student's
records; what Otter printed goes to the instructor-only log (`course.OTTER_LOG`). Its score never changes a
grade: an exercise where the two disagree is flagged in the student's results.json, in `otter-crosscheck.csv`
and in the class report. A submission that patches Otter's test runner is the case this exists for: Otter
gives it full marks, convkit does not, and convkit's score stands.
"""

from __future__ import annotations

import csv
import io
import threading
import traceback
from pathlib import Path

from autograder import course
from autograder.otter import export as otter
from autograder.otter.sandboxed import FAILED, REASONS, NoScore, run_isolated
from autograder.results import StudentResult, write_atomic
from autograder.stubs import EXERCISE_NAMES

WEIGHTS_FILE = course.WEIGHTS_FILE
CSV_HEADER = ["student", "exercise", "convkit_points", "otter_points", "possible", "verdict", "note"]
_LOG_LOCK = threading.Lock()


def timeout_for(exercise: str, lenet: str, call_timeout_s: float = course.DEFAULTS.timeout_s) -> float:
    """Wall-clock seconds one `otter run` may take: Otter never stops a test, so this stops the whole run.

    A numpy exercise gets 60 s plus six calls' worth of `convkit grade --timeout` (120 s by default; an
    honest module takes about 7 s); the LeNet gets 300 s with weights and 1200 s when it trains.
    """
    if exercise == otter.KERAS_EXERCISE:
        return {"train": 1200.0, "weights": 300.0}.get(lenet, 180.0)
    return 60.0 + 6 * call_timeout_s


def cross_check(submission_dir: Path, files: list[str], zips: dict[str, Path], *, lenet: str,
                call_timeout_s: float = course.DEFAULTS.timeout_s, timeout_s: float | None = None,
                log_path: Path | None = None, student: str = "") -> dict[str, dict]:
    """Exercise -> Otter's verdict on each submitted module: `{"earned", "possible"}` or `{"error": reason}`.

    The reason is one of the fixed words of `sandboxed.REASONS`: nothing Otter printed reaches the verdict,
    which goes to the student's results.json. What the run printed goes to `log_path` (instructor-only,
    under the heading `student`). Each run may take `timeout_s` seconds (default: `timeout_for` the
    exercise, LeNet mode and call timeout).
    """
    verdicts = {}
    for exercise in EXERCISE_NAMES:
        module = Path(submission_dir) / f"{exercise}.py"
        if f"{exercise}.py" not in files or exercise not in zips or not module.is_file():
            continue
        weights = Path(submission_dir) / WEIGHTS_FILE
        extra = (weights,) if exercise == otter.KERAS_EXERCISE and weights.is_file() else ()
        try:
            verdicts[exercise] = run_isolated(module, exercise, zips[exercise], extra_files=extra,
                                              timeout_s=timeout_s or timeout_for(exercise, lenet, call_timeout_s))
        except NoScore as error:
            verdicts[exercise] = {"error": error.reason}
            _log(log_path, f"{student} {exercise}: {error.reason} ({REASONS[error.reason]})\n{error.detail}")
        except Exception:  # noqa: BLE001 - a cross-check that breaks is advisory: never fatal to the grade.
            verdicts[exercise] = {"error": FAILED}
            _log(log_path, f"{student} {exercise}: {FAILED} (the cross-check itself failed)\n{traceback.format_exc()}")
    return verdicts


def _log(path: Path | None, entry: str) -> None:
    """Append `entry` to the instructor-only log at `path` (one writer at a time: the batch's threads share it)."""
    if path is None:
        return
    with _LOG_LOCK, open(path, "a", encoding="utf-8") as handle:
        handle.write(f"== {entry.rstrip()}\n\n")


def compare(result: StudentResult) -> list[dict]:
    """One row per exercise Otter graded: both scores, and the verdict "agree", "DIFFERS" or "no score"."""
    points = result.exercise_points()
    rows = []
    for exercise, verdict in sorted(result.otter.items()):
        earned, possible = points.get(exercise, (0.0, 0.0))
        row = {"student": result.student, "exercise": exercise, "convkit_points": earned, "possible": possible}
        if "error" in verdict:
            # A record written before the reasons were fixed words may hold Otter's own output: not shown.
            note = verdict["error"] if verdict["error"] in REASONS else FAILED
            rows.append(row | {"otter_points": "", "verdict": "no score", "note": note})
            continue
        same = abs(verdict["earned"] - earned) < 1e-9 and abs(verdict["possible"] - possible) < 1e-9
        note = "" if same else (f"Otter: {verdict['earned']:g} / {verdict['possible']:g}; convkit's "
                                f"{earned:g} / {possible:g} stands")
        rows.append(row | {"otter_points": verdict["earned"], "verdict": "agree" if same else "DIFFERS", "note": note})
    return rows


def write_csv(path: Path, results: list[StudentResult]) -> list[dict]:
    """`otter-crosscheck.csv`: every compared exercise of every student; returns the rows that are not "agree"."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    flagged = []
    for result in sorted(results, key=lambda r: r.student):
        for row in compare(result):
            writer.writerow({key: f"{value:g}" if isinstance(value, float) else value for key, value in row.items()})
            flagged += [row] * (row["verdict"] != "agree")
    write_atomic(path, buffer.getvalue())
    return flagged
