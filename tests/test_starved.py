"""A timeout taken while the machine was starved of CPU is not held against the student: it is marked, the
student's status says so, and --resume grades it again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autograder import course
from autograder.grading import batch, student
from autograder.results import load_student_result
from autograder.verdicts import Reason, Status

ENDLESS = "def correlate2d(image, kernel):\n    while True:\n        pass\n\n" \
          "def convolve2d(image, kernel):\n    while True:\n        pass\n"


def _grade(tmp_path: Path, name: str) -> student.StudentResult:
    submission = tmp_path / name / "submission"
    submission.mkdir(parents=True)
    (submission / "ex01_convolution.py").write_text(ENDLESS)
    submission.chmod(0o755)
    (submission / "ex01_convolution.py").chmod(0o644)
    spec = student.GradingSpec(student=name, submission_dir=str(submission), out_dir=str(tmp_path / "out" / name),
                               timeout_s=1.5, lenet="skip", files=["ex01_convolution.py"])
    return student.grade(spec)


def _ex01_reasons(result) -> set[str]:
    return {t.reason for t in result.tests if t.exercise == "ex01_convolution" and t.status != "passed"}


@pytest.fixture
def starved_machine(monkeypatch):
    """A CPU pressure record in which runnable tasks waited for a CPU all of the time."""
    started = time.monotonic()
    monkeypatch.setattr(student, "cpu_stall_us", lambda: int((time.monotonic() - started) * 1e6))


def test_a_timeout_on_a_fair_machine_is_the_students(tmp_path, monkeypatch):
    monkeypatch.setattr(student, "cpu_stall_us", lambda: 0)
    result = _grade(tmp_path, "fair")
    assert Reason.TIMEOUT in _ex01_reasons(result) and Reason.STARVED not in _ex01_reasons(result)
    assert result.status == Status.OK


def test_a_timeout_on_a_starved_machine_is_marked_and_the_status_says_so(tmp_path, starved_machine):
    result = _grade(tmp_path, "starved")
    assert Reason.STARVED in _ex01_reasons(result)
    assert result.status == Status.STARVED
    starved = next(t for t in result.tests if t.reason == Reason.STARVED)
    assert "--resume" in starved.output and "too busy" in starved.output
    stored = load_student_result(tmp_path / "out" / "starved" / course.RESULTS_JSON)
    assert stored.status == Status.STARVED


def test_resume_grades_a_starved_student_again(tmp_path):
    kept = student.StudentResult(student="amy", status=Status.STARVED, settings=course.Settings().record())
    keep, why = batch._kept_by_resume(kept, batch.BatchOptions(out_dir=tmp_path))
    assert not keep and "starved" in why
    kept.status = Status.OK
    assert batch._kept_by_resume(kept, batch.BatchOptions(out_dir=tmp_path))[0]
