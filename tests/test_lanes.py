"""Lanes (autograder/sandbox/lane.py): one bubblewrap box serving one student after another.

A lane must be, between two students, what a fresh box is: nothing the last student's code left (files,
processes, its own source in memory) reaches the next one, and a lane in doubt is replaced. The batch
grades through lanes exactly as through boxes of their own.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import textwrap

import pytest

from autograder import course
from autograder.grading import batch
from autograder.sandbox import CallTimedOut, Limits, isolation, process
from autograder.sandbox import Sandbox as _Sandbox
from autograder.sandbox import lane as lanes

LAYERS = isolation.available_layers()
pytestmark = pytest.mark.skipif("namespaces" not in LAYERS, reason="lanes need bubblewrap namespaces")
FORBIDDEN = course.forbidden_imports()
Sandbox = functools.partial(_Sandbox, forbidden=FORBIDDEN, min_isolation="namespaces")
FAST = Limits(call_timeout_s=1.5, import_timeout_s=5.0)
HIDDEN = tuple(FORBIDDEN["ex01_convolution"])

#: The first student: leaves a file in its tmp dir and in /dev/shm, a daemon, and a secret in its source.
LEAVER = '''
import os, time
SECRET = "first-student-" + "secret-answer"

def correlate2d(image, kernel):
    open(os.path.join(os.environ["HOME"], "left-by-first"), "w").close()
    open("/dev/shm/left-by-first", "w").close()
    daemon = os.fork()
    if daemon == 0:
        time.sleep(600)
        os._exit(0)
    return daemon
'''
#: The next student: reports what it finds of the first.
FINDER = '''
import gc, os

def correlate2d(image, daemon):
    try:  # The box's pids start again from 1 in a replaced box: this process, its zygote and the lane aside.
        os.kill(daemon, 0)
        alive = daemon not in (1, os.getppid(), os.getpid())
    except OSError:
        alive = False
    marker = "first-student-" + "secret"
    found = [o for o in gc.get_objects() if isinstance(o, str) and marker in o and o != marker]
    return {"tmp": sorted(os.listdir(os.environ["HOME"])), "shm": sorted(os.listdir("/dev/shm")),
            "daemon_alive": alive, "secret_in_memory": len(found), "files": sorted(os.listdir("."))}
'''
ENDLESS = '''
def correlate2d(image, kernel):
    while True:
        pass
'''
CORRECT = '''
def correlate2d(image, kernel):
    return "answered"
'''


@pytest.fixture
def lane(traversable_tmp_path):
    started = lanes.Lane(traversable_tmp_path / "lane", FAST, use_uid="uid" in LAYERS, hidden_modules=HIDDEN)
    started.start()
    yield started
    started.stop()


def hand_in(lane: lanes.Lane, source: str) -> None:
    """Put one student's module in the lane's folder, as the batch's intake does."""
    path = lane.folder / "ex01_convolution.py"
    path.write_text(textwrap.dedent(source))
    path.chmod(0o644)


def leave_then_find(lane: lanes.Lane) -> dict:
    """Grade the leaving student on `lane`, hand the lane on as the batch does, and report what the next finds."""
    hand_in(lane, LEAVER)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        daemon = sandbox.call("ex01_convolution", "correlate2d", 0, 0)
    lane.ready_for_next(0)
    hand_in(lane, FINDER)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        return sandbox.call("ex01_convolution", "correlate2d", 0, daemon)


def test_the_next_student_on_a_lane_finds_nothing_of_the_last(lane):
    found = leave_then_find(lane)
    assert found == {"tmp": [], "shm": [], "daemon_alive": False, "secret_in_memory": 0,
                     "files": ["ex01_convolution.py"]}
    assert lane.starts == 1  # one box served both students


def test_a_lane_that_skipped_its_clean_up_would_be_caught(traversable_tmp_path, monkeypatch):
    """Planted: the box's clean-up (the student zygote's and the lane's) switched off; the same probe then
    sees the first student's file and daemon."""
    docstring_end = "cannot be lost behind them.\"\"\"\n"
    planted = process.WORKER_SOURCE.replace(docstring_end, docstring_end + "    return\n")
    assert planted != process.WORKER_SOURCE
    monkeypatch.setattr(process, "WORKER_SOURCE", planted)
    leaky = lanes.Lane(traversable_tmp_path / "lane", FAST, use_uid="uid" in LAYERS, hidden_modules=HIDDEN)
    leaky.start()
    try:
        found = leave_then_find(leaky)
    finally:
        leaky.stop()
    assert found["tmp"] == ["left-by-first"] and found["daemon_alive"]


def test_a_lane_killed_by_a_timeout_is_replaced_and_its_student_goes_on_in_a_box_of_its_own(lane):
    hand_in(lane, ENDLESS)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        with pytest.raises(CallTimedOut):
            sandbox.call("ex01_convolution", "correlate2d", 0, 0)
        assert lane.worker.proc.poll() is not None  # the whole box went with the stuck call
        sandbox.fresh()
        with pytest.raises(CallTimedOut):  # the next test: a box of the sandbox's own
            sandbox.call("ex01_convolution", "correlate2d", 0, 0)
    lane.ready_for_next(0)
    assert lane.starts == 2
    hand_in(lane, CORRECT)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        assert sandbox.call("ex01_convolution", "correlate2d", 0, 0) == "answered"


def test_a_lane_left_serving_a_student_is_replaced_before_the_next(lane):
    """A grading process that ended without handing the lane back (its student's child still waiting for
    requests) leaves a lane that does not answer as an idle lane: it is replaced, not reused."""
    hand_in(lane, LEAVER)
    sandbox = Sandbox(lane.folder, FAST, lane=lane.handle())
    daemon = sandbox.call("ex01_convolution", "correlate2d", 0, 0)
    sandbox._worker.detach()  # gone without `close`
    lane.ready_for_next(0)
    assert lane.starts == 2
    hand_in(lane, FINDER)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        found = sandbox.call("ex01_convolution", "correlate2d", 0, daemon)
    assert found["tmp"] == [] and not found["daemon_alive"]


def test_a_batch_grades_through_lanes_as_through_boxes_of_their_own(tmp_path, monkeypatch):
    """The sample class (its timeouts, segfault and tamperers included), graded with lanes and without: the
    same grades, and fewer boxes started than students."""
    starts = []
    start = lanes.Lane.start
    monkeypatch.setattr(lanes.Lane, "start", lambda self: starts.append(self) or start(self))
    with_lanes = batch.grade_class(None, batch.BatchOptions(out_dir=tmp_path / "lanes", jobs=2, lenet="skip"))

    @contextlib.contextmanager
    def no_lanes(*args):
        yield None

    monkeypatch.setattr(batch, "_lanes", no_lanes)
    without = batch.grade_class(None, batch.BatchOptions(out_dir=tmp_path / "boxes", jobs=2, lenet="skip"))
    assert 2 <= len(starts) < len(with_lanes)
    rows = [list(csv.reader(open(tmp_path / name / batch.GRADES_CSV, encoding="utf-8"))) for name in ("lanes", "boxes")]
    assert rows[0] == rows[1]
    assert [r.tests for r in with_lanes] == [r.tests for r in without]


KILLER = '''
import os, time

def correlate2d(image, kernel):
    open(os.path.join(os.environ["HOME"], "left-by-first"), "w").close()
    daemon = os.fork()
    if daemon == 0:
        time.sleep(600)
        os._exit(0)
    os.kill(os.getppid(), 9)  # On a lane the zygote is not the box's init: this kills it.
    return daemon
'''


def test_a_student_that_kills_its_zygote_on_a_lane_costs_only_its_own_tests(lane):
    """Row 28 on a lane: the student's zygote is the lane's child, not the box's init, so a worker can kill
    it. The lane then cleans the box itself; whatever the killer's tests get, the next student finds nothing."""
    from exercises.checks import SubmissionError

    hand_in(lane, KILLER)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        daemons = []
        for _ in range(3):
            sandbox.fresh()
            try:
                daemons.append(sandbox.call("ex01_convolution", "correlate2d", 0, 0))
            except SubmissionError:
                pass
    lane.ready_for_next(0)
    hand_in(lane, FINDER)
    with Sandbox(lane.folder, FAST, lane=lane.handle()) as sandbox:
        found = [sandbox.call("ex01_convolution", "correlate2d", 0, daemon) for daemon in daemons or [0]]
    assert all(f["tmp"] == [] and not f["daemon_alive"] and f["secret_in_memory"] == 0 for f in found)


def test_a_lane_that_cannot_be_restarted_leaves_its_students_a_box_of_their_own(tmp_path, monkeypatch):
    from autograder import scratch
    from autograder.grading import intake
    from autograder.sandbox import SandboxError

    def no_box(self):
        raise SandboxError("planted: no box")

    monkeypatch.setattr(lanes.Lane, "start", no_box)
    folder = tmp_path / "ada"
    folder.mkdir()
    (folder / "ex01_convolution.py").write_text((batch.ROOT / "solutions" / "ex01_convolution.py").read_text())
    options = batch.BatchOptions(out_dir=tmp_path / "out", lenet="skip")
    with scratch.folder("batch") as root:
        root.chmod(0o711)
        waiting = batch.queue.Queue()
        waiting.put(lanes.Lane(root / "lane-0", FAST, use_uid="uid" in LAYERS, hidden_modules=HIDDEN))
        results = [batch.grade_student(intake.Student(id=f"s{i}", path=folder), options, root, lanes=waiting)
                   for i in range(2)]
    assert [r.status for r in results] == ["ok", "ok"]
    assert all(sum(t.score for t in r.tests if t.exercise == "ex01_convolution") == 10 for r in results)
