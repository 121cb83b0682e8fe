"""Scratch folders: each is named after the process that made it, and a batch removes those whose owner is gone.

A batch killed with SIGKILL never runs its clean-up, and its scratch folder keeps whole submissions; the next
batch removes it, never the folder of a batch still running, nor one the kit did not make.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import scratch

ROOT = Path(__file__).resolve().parents[1]
#: Correct, but each call takes longer than the test waits: the batch is mid-run whenever it is killed.
SLOW = (ROOT / "solutions" / "ex01_convolution.py").read_text() + """
import time
_fast = correlate2d

def correlate2d(image, kernel):
    time.sleep(30)
    return _fast(image, kernel)
"""


def _dead_pid() -> int:
    child = subprocess.Popen(["/bin/true"])
    child.wait()
    return child.pid


def _named(base: Path, record: str, kind: str = "batch") -> Path:
    path = base / f"convkit-{kind}-{record}-abcd_123"
    path.mkdir()
    (path / "student").mkdir()
    (path / "student" / "ex01_convolution.py").write_text("x = 1\n")
    return path


def test_a_folder_is_named_after_its_live_owner_and_kept(tmp_path):
    folder = scratch.make("batch", tmp_path)
    assert folder.name.startswith(f"convkit-batch-{os.getpid()}.")
    assert scratch.owner_alive(folder.name) is True
    assert scratch.sweep(tmp_path) == [] and folder.is_dir()


def test_a_dead_owner_a_reused_pid_and_another_boot_are_gone(tmp_path):
    pid, start, ns, boot = scratch.owner_record().split(".")
    dead = _named(tmp_path, f"{_dead_pid()}.{start}.{ns}.{boot}")
    reused = _named(tmp_path, f"{pid}.{int(start) + 1}.{ns}.{boot}", kind="worker")  # this pid, another start
    rebooted = _named(tmp_path, f"{pid}.{start}.{ns}.{'0' if boot[0] != '0' else '1'}{boot[1:]}", kind="otter-run")
    other_namespace = _named(tmp_path, f"{_dead_pid()}.{start}.{int(ns) + 1}.{boot}")
    assert sorted(scratch.sweep(tmp_path)) == sorted(str(p) for p in (dead, reused, rebooted))
    assert other_namespace.is_dir(), "a pid of another PID namespace says nothing of its owner here"


def test_a_folder_without_an_owner_record_and_a_link_are_kept(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    _pid, start, ns, boot = scratch.owner_record().split(".")
    link = tmp_path / f"convkit-batch-{_dead_pid()}.{start}.{ns}.{boot}-abcd_123"
    link.symlink_to(target)
    kept = [tmp_path / "convkit-02mcfa6x", tmp_path / "convkit-batch-handmade", tmp_path / "other-1.2.3.4"]
    for path in kept:
        path.mkdir()
    assert scratch.sweep(tmp_path) == []
    assert all(path.is_dir() for path in kept) and link.is_symlink() and (target / "keep.txt").is_file()


def test_a_kind_must_be_lowercase_words(tmp_path):
    with pytest.raises(ValueError, match="kind must be lowercase words"):
        scratch.make("../x", tmp_path)


@pytest.fixture
def temp_folder(traversable_tmp_path):
    """A temp folder of the test's own for the batches."""
    return traversable_tmp_path


def _start_batch(class_dir: Path, out: Path, temp: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(temp)}
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
                             "--lenet", "skip"], env=env, start_new_session=True, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _scratch_root(batch: subprocess.Popen, temp: Path, student: str, timeout: float = 120) -> Path:
    """The scratch root of `batch`, once its copy of `student`'s submission is being graded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(temp.glob(f"convkit-batch-{batch.pid}.*/{student}/spec.json"))
        if found:
            time.sleep(1.0)  # Into the grading of the slow call.
            return found[0].parents[1]
        assert batch.poll() is None, batch.stderr.read()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"batch {batch.pid} made no scratch folder for {student} in {timeout} s")


def _kill(batch: subprocess.Popen) -> None:
    try:
        os.killpg(batch.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    batch.wait()


def test_a_batch_removes_what_a_killed_batch_left_never_a_live_batch_or_a_foreign_folder(tmp_path, temp_folder):
    classes = {}
    for name, source in {"killed": SLOW, "alive": SLOW, "next": (ROOT / "solutions" / "ex01_convolution.py")
                         .read_text()}.items():
        (tmp_path / name / f"s_{name}").mkdir(parents=True)
        (tmp_path / name / f"s_{name}" / "ex01_convolution.py").write_text(source)
        classes[name] = tmp_path / name
    foreign = temp_folder / "convkit-made-by-hand"
    foreign.mkdir()
    killed = _start_batch(classes["killed"], tmp_path / "out-killed", temp_folder)
    alive = _start_batch(classes["alive"], tmp_path / "out-alive", temp_folder)
    try:
        killed_root = _scratch_root(killed, temp_folder, "s_killed")
        alive_root = _scratch_root(alive, temp_folder, "s_alive")
        _kill(killed)  # SIGKILL: its TemporaryDirectory clean-up never runs.
        assert (killed_root / "s_killed" / "submission" / "ex01_convolution.py").is_file()
        following = subprocess.run([sys.executable, "-m", "autograder", "grade", str(classes["next"]), "--out",
                                    str(tmp_path / "out-next"), "--lenet", "skip"], cwd=ROOT, capture_output=True,
                                   text=True, timeout=600, env={**os.environ, "TMPDIR": str(temp_folder)})
        assert following.returncode == 0, following.stderr[-3000:]
        left = [path.name for path in temp_folder.glob(f"convkit-*-{killed.pid}.*")]
        assert left == [], f"the killed batch's scratch is still there: {left}"
        assert alive.poll() is None and alive_root.is_dir(), "a live batch's scratch folder was removed"
        assert foreign.is_dir(), "a folder the kit did not make was removed"
    finally:
        _kill(killed)
        _kill(alive)
    assert str(alive_root) in scratch.sweep(temp_folder), "once its batch is gone, its folder is swept too"
