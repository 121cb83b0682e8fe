"""A student who runs out of the per-student deadline keeps the points already earned, is marked `deadline`,
and is graded again by --resume."""

from __future__ import annotations

import re
import shutil

from autograder import course
from autograder.grading import batch
from autograder.results import load_student_result
from autograder.stubs import ROOT
from autograder.verdicts import Reason, Status


def _slow_padding() -> str:
    """The reference ex02, correct but pausing 1.5 s in each of its functions."""
    source = (ROOT / "solutions" / "ex02_padding.py").read_text()
    for name in ("zero_pad", "output_size", "conv2d"):
        source = re.sub(rf"\b{name}\(", f"_{name}_fast(", source)  # its own calls stay fast: one pause a call
        source += (f"\n\ndef {name}(*args, **kwargs):\n    import time\n    time.sleep(1.5)\n"
                   f"    return _{name}_fast(*args, **kwargs)\n")
    return source


def test_a_student_stopped_at_the_deadline_keeps_the_points_earned_and_resume_finishes(tmp_path, monkeypatch):
    student = tmp_path / "class" / "slow"
    student.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "ex01_convolution.py", student)
    (student / "ex02_padding.py").write_text(_slow_padding())
    out = tmp_path / "out"
    monkeypatch.setattr(batch.BatchOptions, "student_deadline", lambda self: 20.0)
    (stopped,) = batch.grade_class(tmp_path / "class", batch.BatchOptions(out_dir=out, lenet="skip", timeout_s=2.5))
    assert stopped.status == Status.DEADLINE
    points = stopped.exercise_points()
    assert points["ex01_convolution"] == (10.0, 10.0), "the points earned before the deadline are kept"
    # Tests not reached count at their full worth (even those --lenet skip would have left out of the total).
    assert stopped.total()[1] == 60.0, "the tests not reached still count in the total possible"
    assert any(t.reason == Reason.DEADLINE for t in stopped.tests)
    assert "per-student deadline" in (out / "slow" / course.FEEDBACK_MD).read_text()
    assert load_student_result(out / "slow" / course.RESULTS_JSON).status == Status.DEADLINE

    monkeypatch.undo()
    (finished,) = batch.grade_class(tmp_path / "class", batch.BatchOptions(out_dir=out, lenet="skip",
                                                                           timeout_s=2.5, resume=True))
    assert finished.status == Status.OK
    assert finished.exercise_points()["ex02_padding"] == (10.0, 10.0), "a correct but slow module gets full marks"


def test_the_deadline_follows_from_the_suites_own_limits():
    options = batch.BatchOptions(timeout_s=10.0, lenet="weights")
    assert options.student_deadline() >= batch.CALLS_PER_TEST * batch.hidden_test_count() * 10.0
    assert batch.BatchOptions(lenet="train").student_deadline() > options.student_deadline()
