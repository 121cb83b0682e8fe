"""A timeout taken while the student's worker was starved of CPU is not held against the student: it is marked,
the student's status says so, and --resume grades it again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import course
from autograder.grading import batch, student
from autograder.results import load_student_result
from autograder.sandbox import CallTimedOut, Limits, Sandbox, process
from autograder.verdicts import Reason, Status

ENDLESS = "def correlate2d(image, kernel):\n    while True:\n        pass\n\n" \
          "def convolve2d(image, kernel):\n    while True:\n        pass\n"
SLEEPING = "import time\n\ndef correlate2d(image, kernel):\n    time.sleep(60)\n"


def _submission(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "ex01_convolution.py").write_text(source)
    folder.chmod(0o755)
    (folder / "ex01_convolution.py").chmod(0o644)
    return folder


def _timeout_share(folder: Path) -> float:
    with Sandbox(folder, Limits(call_timeout_s=2.0), forbidden={}, keras_modules=()) as sandbox:
        with pytest.raises(CallTimedOut) as raised:
            sandbox.module("ex01_convolution").correlate2d(np.zeros((3, 3)), np.zeros((2, 2)))
    return raised.value.waited_share


@pytest.fixture
def one_busy_core():
    """This process and its children on CPU 0, with three other busy processes there."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    # Each in a session of its own, as a neighbour's worker is, so the scheduler weighs them as its equals.
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(3)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        os.sched_setaffinity(0, before)


def test_a_busy_loop_on_a_free_core_waits_for_no_cpu(tmp_path):
    assert _timeout_share(_submission(tmp_path / "s", ENDLESS)) < 0.3


def test_a_sleeping_call_waits_for_no_cpu_even_on_a_busy_machine(tmp_path, one_busy_core):
    assert _timeout_share(_submission(tmp_path / "s", SLEEPING)) < 0.3


def test_a_busy_loop_sharing_its_core_with_three_others_is_seen_waiting(tmp_path, one_busy_core):
    assert _timeout_share(_submission(tmp_path / "s", ENDLESS)) >= student.STARVED_SHARE


def _grade(tmp_path: Path, name: str) -> student.StudentResult:
    submission = _submission(tmp_path / name / "submission", ENDLESS)
    spec = student.GradingSpec(student=name, submission_dir=str(submission), out_dir=str(tmp_path / "out" / name),
                               timeout_s=1.5, lenet="skip", files=["ex01_convolution.py"])
    return student.grade(spec)


def _ex01_reasons(result) -> set[str]:
    return {t.reason for t in result.tests if t.exercise == "ex01_convolution" and t.status != "passed"}


def test_a_timeout_on_a_fair_machine_is_the_students(tmp_path, monkeypatch):
    monkeypatch.setattr(process, "runnable_wait_s", lambda pid: 0.0)
    result = _grade(tmp_path, "fair")
    assert Reason.TIMEOUT in _ex01_reasons(result) and Reason.STARVED not in _ex01_reasons(result)
    assert result.status == Status.OK


def test_a_timeout_of_a_starved_worker_is_marked_and_the_status_says_so(tmp_path, monkeypatch):
    started = time.monotonic()
    monkeypatch.setattr(process, "runnable_wait_s", lambda pid: time.monotonic() - started)
    result = _grade(tmp_path, "starved")
    assert Reason.STARVED in _ex01_reasons(result)
    assert result.status == Status.STARVED
    starved = next(t for t in result.tests if t.reason == Reason.STARVED)
    assert "--resume" in starved.output and "too busy" in starved.output
    assert load_student_result(tmp_path / "out" / "starved" / course.RESULTS_JSON).status == Status.STARVED


def test_resume_grades_a_starved_student_again(tmp_path):
    kept = student.StudentResult(student="amy", status=Status.STARVED, settings=course.Settings().record())
    keep, why = batch._kept_by_resume(kept, batch.BatchOptions(out_dir=tmp_path))
    assert not keep and "starved" in why
    kept.status = Status.OK
    assert batch._kept_by_resume(kept, batch.BatchOptions(out_dir=tmp_path))[0]
