"""One `otter run` in the sandbox, for `convkit grade --otter` (`autograder.otter.crosscheck`).

`otter run` executes the student's module and Otter's tests in one kernel, so it runs like a sandbox worker:
a separate process tree with resource limits, a scrubbed environment and a wall clock, and (when the machine
offers them) an unprivileged uid and bubblewrap namespaces; nothing of it runs in the grader's process.

- Its memory (tmpfs pages included) and processes are bounded by a control group when root can make one.
- What it may write is one size-limited tmpfs of `OTTER_LIMITS.tmp_mb`: under bubblewrap the sandbox's own
  `/tmp` (bwrap's `--size`), the submission and the zip being bound read-only; without bubblewrap, as root,
  a tmpfs mounted (`size=`) on the run's home folder for the length of the run. Without either (not root, or
  a container that refuses `mount`), that folder is on the host disk with only each file's size capped, and
  a warning says so once per batch (`unlimited_warning`).
- A runner inside the sandbox (`RUNNER`) starts Otter and, once Otter exits, copies Otter's results.json
  (at most `MAX_RESULTS_BYTES`) to a descriptor of the grader's, which Otter and its kernel do not inherit.
- Everything the run prints goes to a file of the grader's, capped by the file size limit; `NoScore.detail`
  carries its tail to the instructor-only log. Students' records get only a fixed reason (`REASONS`).
- Only numbers are read from the results: Otter's score, accepted only when it is one the zip's cases can
  add up to (a submission can forge results.json; then it can choose among those few values, no more).

The zip given to the run holds the reference solution of its exercise (ex06's also ex05's `count_params`):
its hidden tests compute every expected answer with it inside the kernel, and the kernel is the student's
too, so the student's code can read whatever the tests read. What it cannot do is carry it out: no network
and no host folder it can write under bubblewrap, nothing printed reaches a student, and the score is one of
the zip's possible sums.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from autograder import scratch
from autograder.otter import export as otter
from autograder.sandbox import Limits, isolation, launch

#: Limits of one `otter run`: Otter, Jupyter and a kernel (TensorFlow's for ex06) in one process tree.
#: `tmp_mb` is the size of its one writable folder (an honest LeNet run fits in 16 MB).
OTTER_LIMITS = Limits(memory_mb=6144, nproc=512, file_size_mb=64, tmp_mb=128, cpu_s=2400.0)
#: A larger results.json is not Otter's: the submission wrote it.
MAX_RESULTS_BYTES = 4 << 20
#: How much of the end of what the run printed goes to the instructor-only log.
LOG_TAIL_BYTES = 16 << 10
#: The folder, under the run's home, where Otter writes its results.json.
OUT_FOLDER = "otter-out"
PYTHON_FLAGS = ("-s", "-B", *(["-P"] if sys.version_info >= (3, 11) else []))
#: The only words about a run without a score that reach a student's records; the details go to the log.
TIMEOUT, FAILED, INVALID = "otter timeout", "otter failed", "otter invalid score"
REASONS = {TIMEOUT: "otter run did not finish within its wall-clock limit",
           FAILED: "otter run ended without a results.json (it crashed, was killed, or hit a limit)",
           INVALID: "otter run's results.json holds no score the zip's cases can add up to"}

#: Runs inside the sandbox: argv zip, submission, Otter's output folder, results descriptor, byte cap.
RUNNER = """
import os, stat, subprocess, sys

zip_path, submission, out = sys.argv[1:4]
fd, cap = int(sys.argv[4]), int(sys.argv[5])
os.makedirs(out)
os.chdir(os.path.dirname(out))
flags = ["-s", "-B"] + (["-P"] if sys.version_info >= (3, 11) else [])
code = subprocess.call([sys.executable, *flags, "-m", "otter", "run", "-a", zip_path, "-o", out, "--no-logo",
                        submission], stdin=subprocess.DEVNULL)
data = b""
try:
    results = os.open(os.path.join(out, "results.json"), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if stat.S_ISREG(os.fstat(results).st_mode):
        while len(data) <= cap:
            chunk = os.read(results, 1 << 16)
            if not chunk:
                break
            data += chunk
except OSError:
    pass
view = memoryview(data[:cap + 1])
while view:
    view = view[os.write(fd, view):]
sys.exit(code)
"""


class NoScore(Exception):
    """The run gave no usable score: `reason` (one of `REASONS`) may be shown to the student, `detail`
    (what Otter printed, the error) only to the instructor."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def run_isolated(module_path: Path, exercise: str, zip_path: Path, *, extra_files: tuple[Path, ...] = (),
                 timeout_s: float = 180.0, limits: Limits = OTTER_LIMITS) -> dict[str, float]:
    """`otter run` on one module in the sandbox: `{"earned": ..., "possible": ...}` for `exercise`.

    The module (with `extra_files` beside it in a submission zip) and the autograder zip are copied into a
    fresh folder the run can read but not write. Raises `NoScore` when Otter gives no usable score.
    """
    layers = isolation.available_layers()
    with scratch.folder("otter") as tmp:
        return _run(tmp, module_path, exercise, zip_path, extra_files, timeout_s, limits,
                    bwrap="namespaces" in layers, use_uid="uid" in layers)


def _run(tmp: Path, module_path: Path, exercise: str, zip_path: Path, extra_files: tuple[Path, ...],
         timeout_s: float, limits: Limits, *, bwrap: bool, use_uid: bool) -> dict[str, float]:
    os.chmod(tmp, 0o711)  # Traversable, not listable: nothing in it is found by name from outside.
    work = tmp / "work"
    work.mkdir(mode=0o700)
    submission = otter.write_submission(work, module_path, exercise, extra_files)
    shutil.copyfile(zip_path, work / "autograder.zip")
    inside = Path(isolation.SUBMISSION_MOUNT) if bwrap else work
    home = launch.BOX_TMP if bwrap else str(work / "home")
    box = None
    try:
        with contextlib.ExitStack() as stack, \
                open(os.open(tmp / "output.log", os.O_RDWR | os.O_CREAT, 0o600), "w+b") as output, \
                open(os.open(tmp / "results.bin", os.O_RDWR | os.O_CREAT, 0o600), "w+b") as results:

            def hand_over(uid: int | None) -> None:
                if uid is not None:  # Only this run's uid (its group) may enter, the root-owned files stay read-only.
                    os.chown(work, 0, uid)
                    os.chmod(work, 0o750)
                stack.enter_context(_writable_home(work / "home", limits.tmp_mb, uid, bwrap=bwrap))

            argv = [sys.executable, *PYTHON_FLAGS, "-c", RUNNER, str(inside / "autograder.zip"),
                    str(inside / submission.name), f"{home}/{OUT_FOLDER}", str(results.fileno()),
                    str(MAX_RESULTS_BYTES)]
            hosts = tmp / "hosts"
            if bwrap:  # Otter and Jupyter talk to their kernel over TCP on "localhost", which must resolve.
                hosts.write_text("127.0.0.1 localhost\n::1 localhost\n", encoding="utf-8")
            env = {"PYTHONPATH": os.pathsep.join(isolation.extra_paths())} if isolation.extra_paths() else {}
            # The tree's memory, its tmpfs pages included, and its processes, whatever it forks (when root can).
            box = launch.launch(argv, work, limits, memory_bytes=(limits.memory_mb + 2 * limits.tmp_mb) << 20,
                                namespaces=bwrap, use_uid=use_uid, home=home, env=env,
                                files={"/etc/hosts": hosts} if bwrap else None, prepare=hand_over,
                                stdout=output, stderr=output, pass_fds=(results.fileno(),))
            try:
                box.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                raise NoScore(TIMEOUT, f"no result within {timeout_s:g} s\n{_tail(output)}") from None
            finally:
                box.kill()  # Otter, its kernel and anything the submission started.
            return _score(results, output, box.proc.returncode, tmp / "results.json", exercise, zip_path)
    finally:
        if box is not None:
            box.release()


def _score(results, output, code: int, path: Path, exercise: str, zip_path: Path) -> dict[str, float]:
    """Otter's score from the bytes the runner passed on, checked against the zip (else `NoScore`)."""
    size = os.fstat(results.fileno()).st_size
    if size == 0:
        raise NoScore(FAILED, f"exit {code}, no results.json\n{_tail(output)}")
    if size > MAX_RESULTS_BYTES:
        raise NoScore(INVALID, f"exit {code}, a results.json over {MAX_RESULTS_BYTES} bytes\n{_tail(output)}")
    results.seek(0)
    path.write_bytes(results.read())
    try:
        score = otter.parse_results(path, exercise, zip_path)
        earned, possible = float(score["earned"]), float(score["possible"])
    except Exception as error:  # noqa: BLE001 - the submission may have written the file: any content.
        raise NoScore(INVALID, f"exit {code}, results.json unreadable: {error!r}"[:2000]) from None
    if abs(possible - otter.zip_possible(zip_path, exercise)) > 1e-9 or not reachable(
            earned, otter.zip_case_points(zip_path, exercise)):
        raise NoScore(INVALID, f"exit {code}, results.json gives {earned!r} / {possible!r}, not a score of the zip")
    return {"earned": earned, "possible": possible}


def reachable(earned: float, points: list[float], most: int = 1 << 16) -> bool:
    """Whether `earned` is a sum of some of `points` (to 1e-6); past `most` distinct sums, whether it lies
    between 0 and their total. Example: points [1, 1, 2] reach 0, 1, 2, 3, 4 and nothing else."""
    if not math.isfinite(earned):
        return False
    sums = {0.0}
    for value in points:
        sums |= {round(total + value, 6) for total in sums}
        if len(sums) > most:
            return 0.0 <= earned <= sum(points) + 1e-6
    return round(earned, 6) in sums


def _tail(output) -> str:
    """The end of what the run printed, control characters (terminal escapes) shown as '?'."""
    size = os.fstat(output.fileno()).st_size
    output.seek(max(0, size - LOG_TAIL_BYTES))
    text = output.read().decode("utf-8", errors="replace")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "?", text)


@contextlib.contextmanager
def _writable_home(folder: Path, size_mb: int, uid: int | None, *, bwrap: bool):
    """The run's home (and TMPDIR), as the run sees it: its one writable folder, of at most `size_mb` MB.

    Under bubblewrap it is the sandbox's private `/tmp`. Otherwise it is `folder`, with a tmpfs of `size_mb`
    mounted on it while the run lasts when the grader may mount (root, and a container that allows it).
    """
    if bwrap:
        yield "/tmp"
        return
    folder.mkdir(mode=0o700)
    if uid is not None:
        os.chown(folder, uid, uid)
    mounted = isolation.is_root() and _mount_tmpfs(folder, size_mb, uid)
    if not mounted:
        unlimited_warning()
    try:
        yield str(folder)
    finally:
        if mounted:
            _unmount(folder)


def _mount_tmpfs(folder: Path, size_mb: int, uid: int | None) -> bool:
    owner = "" if uid is None else f",uid={uid},gid={uid}"
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700,nosuid,nodev{owner}",
                               "convkit-otter", str(folder)], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _unmount(folder: Path) -> None:
    """Unmount the tmpfs on `folder` (lazily if something still holds it; its processes are already killed)."""
    for command in (["umount", str(folder)], ["umount", "-l", str(folder)]):
        if subprocess.run(command, capture_output=True, timeout=30).returncode == 0:
            return


@functools.cache
def unlimited_warning() -> str:
    """Say once per process, on stderr, that Otter's writable folder has no size limit here; returns it."""
    text = ("warning: Otter's writable folder is on the host disk without a size limit (no bubblewrap, and "
            "the grader cannot mount a tmpfs: not root, or a container that refuses mount): a module run by "
            f"Otter can fill the disk, {OTTER_LIMITS.file_size_mb} MB per file")
    print(text, file=sys.stderr)
    return text
