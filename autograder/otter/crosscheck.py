"""`convkit grade --otter`: an advisory second opinion from Otter-Grader, run inside the sandbox.

Each submitted exercise module is also graded with `otter run` and the zip `convkit otter` builds with the
same seed and LeNet mode, so for an honest submission Otter's points equal convkit's, point for point.
`otter run` executes the student's module and Otter's tests in one kernel, so it runs here like a sandbox
worker: a separate process tree with resource limits, a scrubbed environment, a wall clock, and (when the
machine offers them) an unprivileged uid and bubblewrap namespaces; nothing of it runs in the grader's
process. Its score never changes a grade: an exercise where the two disagree is flagged in the student's
results.json, in `otter-crosscheck.csv` and in the class report. A submission that patches Otter's test
runner is the case this exists for: Otter gives it full marks, convkit does not, and convkit's score stands.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import course
from autograder.otter import export as otter
from autograder.results import StudentResult, write_atomic
from autograder.sandbox import Limits, isolation
from autograder.sandbox.process import environment
from autograder.stubs import EXERCISE_NAMES

WEIGHTS_FILE = course.WEIGHTS_FILE
CSV_HEADER = ["student", "exercise", "convkit_points", "otter_points", "possible", "verdict", "note"]
#: A larger results.json, or a link, is not Otter's: the submission wrote it.
MAX_RESULTS_BYTES = 16 << 20
#: Limits of one `otter run`: Otter, Jupyter and a kernel (TensorFlow's for ex06) in one process tree.
OTTER_LIMITS = Limits(memory_mb=6144, nproc=512, file_size_mb=64, tmp_mb=512, cpu_s=2400.0)


def timeout_for(exercise: str, lenet: str, call_timeout_s: float = course.DEFAULTS.timeout_s) -> float:
    """Wall-clock seconds one `otter run` may take: Otter never stops a test, so this stops the whole run.

    A numpy exercise gets 60 s plus six calls' worth of `convkit grade --timeout` (120 s by default; an
    honest module takes about 7 s); the LeNet gets 300 s with weights and 1200 s when it trains.
    """
    if exercise == otter.KERAS_EXERCISE:
        return {"train": 1200.0, "weights": 300.0}.get(lenet, 180.0)
    return 60.0 + 6 * call_timeout_s


def run_isolated(module_path: Path, exercise: str, zip_path: Path, *, extra_files: tuple[Path, ...] = (),
                 timeout_s: float = 180.0, limits: Limits = OTTER_LIMITS) -> dict[str, float]:
    """`otter run` on one module in the sandbox: `{"earned": ..., "possible": ...}` for `exercise`.

    The module (with `extra_files` beside it in a submission zip) and the autograder zip are copied into a
    fresh folder, the only one the run may write. Raises `otter.OtterRunError` when Otter gives no score
    (timed out, killed by a limit, or no results.json).
    """
    layers = isolation.available_layers()
    bwrap = "namespaces" in layers
    lease = isolation.lease_uid() if "uid" in layers else None
    uid = lease.uid if lease else None
    with tempfile.TemporaryDirectory(prefix="convkit-otter-") as tmp:
        os.chmod(tmp, 0o755)
        work = Path(tmp) / "work"
        (work / "out").mkdir(parents=True)
        (work / "home").mkdir()
        submission = otter.write_submission(work, module_path, exercise, extra_files)
        shutil.copyfile(zip_path, work / "autograder.zip")
        if uid is not None:  # The run may write its two folders only; it cannot swap them for links.
            for folder in (work / "out", work / "home"):
                os.chown(folder, uid, uid)
        inside = Path(isolation.SUBMISSION_MOUNT) if bwrap else work
        argv = [sys.executable, "-s", "-B", "-m", "otter", "run", "-a", str(inside / "autograder.zip"),
                "-o", str(inside / "out"), "--no-logo", str(inside / submission.name)]
        if bwrap:
            # Otter and Jupyter talk to their kernel over TCP on "localhost", which must resolve.
            hosts = Path(tmp) / "hosts"
            hosts.write_text("127.0.0.1 localhost\n::1 localhost\n", encoding="utf-8")
            argv = isolation.bwrap_command(work, argv, uid=uid, tmp_mb=limits.tmp_mb, writable=True,
                                           files={"/etc/hosts": hosts})
        elif uid is not None:
            argv = [*isolation.setpriv(uid), *argv]
        env = environment("/tmp" if bwrap else str(work / "home"))
        if isolation.extra_paths():
            env["PYTHONPATH"] = os.pathsep.join(isolation.extra_paths())
        try:
            process = subprocess.Popen(argv, cwd=None if bwrap else work, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=isolation.rlimit_setter(limits, nproc=uid is not None))
            try:
                output, _ = process.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                raise otter.OtterRunError(f"otter run did not finish within {timeout_s:g} s") from None
            finally:
                _kill(process, uid)
            results = work / "out" / "results.json"
            if results.is_symlink() or not results.is_file() or results.stat().st_size > MAX_RESULTS_BYTES:
                tail = output.decode(errors="replace")[-1500:]
                raise otter.OtterRunError(f"otter run exited {process.returncode} without a results.json "
                                          f"(a regular file under {MAX_RESULTS_BYTES >> 20} MB):\n{tail}")
            return otter.parse_results(results, exercise, zip_path)
        finally:
            if lease:
                isolation.kill_uid(lease.uid)
                lease.release()


def _kill(process: subprocess.Popen, uid: int | None) -> None:
    """Stop the run's whole process tree: Otter, its kernel and anything the submission started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if uid is not None:
        isolation.kill_uid(uid)
    process.communicate()


def cross_check(submission_dir: Path, files: list[str], zips: dict[str, Path], *, lenet: str,
                call_timeout_s: float = course.DEFAULTS.timeout_s, timeout_s: float | None = None) -> dict[str, dict]:
    """Exercise -> Otter's verdict on each submitted module: `{"earned", "possible"}` or `{"error"}`.

    Each run may take `timeout_s` seconds (default: `timeout_for` the exercise, LeNet mode and call timeout).
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
        except Exception as error:  # noqa: BLE001 - the run wrote what the submission let it: never fatal.
            verdicts[exercise] = {"error": f"{type(error).__name__}: {error}"[:2000]}
    return verdicts


def compare(result: StudentResult) -> list[dict]:
    """One row per exercise Otter graded: both scores, and the verdict "agree", "DIFFERS" or "no score"."""
    points = result.exercise_points()
    rows = []
    for exercise, verdict in sorted(result.otter.items()):
        earned, possible = points.get(exercise, (0.0, 0.0))
        row = {"student": result.student, "exercise": exercise, "convkit_points": earned, "possible": possible}
        if "error" in verdict:
            rows.append(row | {"otter_points": "", "verdict": "no score", "note": verdict["error"].splitlines()[0]})
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
