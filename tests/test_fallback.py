"""Row 41: grading without bubblewrap (unprivileged Docker, Gradescope's usual case) is safe and says so.

The grader runs as root with `bwrap` left off PATH, so each worker runs as its own sandbox uid without a
private file view. A class of attackers then tries what a red team did: read the kit's reference solutions,
copy a concurrent student's live submission, and leave files in /tmp and /dev/shm and a daemon behind. None
of it works, the console and the report say which layer was missing, and an honest student keeps full marks.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.sandbox import isolation

ROOT = Path(__file__).resolve().parents[1]
needs_root = pytest.mark.skipif(not isolation.is_root() or not shutil.which("setpriv"),
                                reason="the uid layer needs root and setpriv")

HONEST_SLOW = (ROOT / "solutions" / "ex01_convolution.py").read_text() + """
import time
time.sleep(1)  # Still being graded (its scratch folder alive) while the spy looks for it.
"""

THIEF = f"""
import importlib.util
_ref = None
try:
    _spec = importlib.util.spec_from_file_location("stolen", {str(ROOT / "solutions" / "ex01_convolution.py")!r})
    _ref = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_ref)
except Exception as error:
    _why = repr(error)

def correlate2d(image, kernel):
    return _ref.correlate2d(image, kernel)

def convolve2d(image, kernel):
    return _ref.convolve2d(image, kernel)
"""

SPY = """
import glob, os, time

def _look():
    found = []
    for pattern in ("/tmp/convkit-*/*/submission/*.py", "/tmp/convkit-*/*/*.json", {out!r} + "/*/results.json"):
        for path in glob.glob(pattern):
            try:
                with open(path) as handle:
                    found.append(path + ":" + str(len(handle.read())))
            except OSError:
                pass
    return found

def correlate2d(image, kernel):
    for _ in range(30):
        found = [path for path in _look() if "b_spy" not in path]
        if found:
            break
        time.sleep(0.1)
    raise ValueError("SPY FOUND " + ";".join(found) if found else "spy found nothing")

def convolve2d(image, kernel):
    raise ValueError("nothing")
"""

LITTER = """
import os, time
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, f"convkit-test-litter-{os.getpid()}"), "w") as handle:
            handle.write("x")
    except OSError:
        pass
_DAEMON = os.fork()
if _DAEMON == 0:
    os.setsid()
    time.sleep(3600)
    os._exit(0)

def correlate2d(image, kernel):
    raise ValueError(f"daemon {_DAEMON} left running")

def convolve2d(image, kernel):
    raise ValueError("nothing")
"""


@pytest.fixture
def path_without_bwrap(tmp_path):
    """A PATH that has setpriv and ipcrm but no bwrap: the grader falls back to the uid layer."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("setpriv", "ipcrm"):
        if shutil.which(tool):
            (folder / tool).symlink_to(shutil.which(tool))
    return str(folder)


@needs_root
def test_row41_without_bubblewrap_nothing_is_readable_nothing_is_left_and_the_gap_is_reported(
        tmp_path, python_readable_by_others, path_without_bwrap):
    class_dir, out = tmp_path / "class", tmp_path / "out"
    # As a fresh clone has them: folders 0755 and files 0644 (an earlier run may have closed them already).
    subprocess.run(["chmod", "-R", "o+rX", str(ROOT / "solutions"), str(ROOT / "autograder" / "hidden")], check=True)
    for student, source in {"a_honest_slow": HONEST_SLOW, "b_spy": SPY.format(out=str(out)), "c_thief": THIEF,
                            "d_litter": LITTER}.items():
        (class_dir / student).mkdir(parents=True)
        (class_dir / student / "ex01_convolution.py").write_text(textwrap.dedent(source))
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
                          "--lenet", "skip", "--jobs", "2"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PATH": path_without_bwrap})
    assert run.returncode == 0, run.stderr[-3000:]
    reported = next(line for line in run.stderr.splitlines() if line.startswith("isolation: "))
    assert "uid" in reported and "namespaces" not in reported
    assert "MISSING namespaces" in run.stderr
    with open(out / "grades.csv", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    assert grades["a_honest_slow"]["ex01_convolution"] == "10"
    assert grades["c_thief"]["ex01_convolution"] == "0", "the thief read the reference solution"
    spy = (out / "b_spy" / "results.json").read_text()
    assert "a_honest_slow" not in spy and "results.json:" not in spy, spy[:2000]
    assert "Graded with weaker isolation" in (out / "report.html").read_text()
    leftovers = [path for folder in isolation.SHARED_TMP for path in Path(folder).glob("convkit-test-litter-*")]
    assert leftovers == []
    litter = (out / "d_litter" / "results.json").read_text()
    daemons = [int(pid) for pid in re.findall(r"daemon (\d+) left running", litter)]
    assert daemons and not [pid for pid in daemons if Path(f"/proc/{pid}").exists()]


@needs_root
def test_a_sweep_kills_what_runs_under_a_sandbox_uid_nobody_holds(python_readable_by_others):
    """What a grading process killed at its deadline leaves (a process of a uid whose lease is gone) is
    killed by the sweep; a uid a live worker holds is left alone."""
    lease = isolation.lease_uid()
    uid = lease.uid
    lease.release()
    sleep = [sys.executable, "-c", "import time; time.sleep(600)"]
    stray = subprocess.Popen([*isolation.setpriv(uid), *sleep], start_new_session=True)
    held = isolation.lease_uid()
    guarded = subprocess.Popen([*isolation.setpriv(held.uid), *sleep], start_new_session=True)
    try:
        assert held.uid != uid
        cleaned = isolation.sweep_free_uids()
        assert uid in cleaned and held.uid not in cleaned
        assert stray.wait(timeout=10) == -9
        assert guarded.poll() is None
    finally:
        for process in (stray, guarded):
            if process.poll() is None:
                process.kill()
        held.release()
