"""What the batch hands a grading process, kept free of pytest and numpy so that the batch's own process (the
CLI) never imports them: its grading processes are forked from a server that already did."""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder import course
from autograder.hidden import HIDDEN_DIR

__all__ = ["COUNT_HIDDEN_TESTS", "GRADE_STUDENT", "HIDDEN_DIR", "GradingSpec"]

#: `processes.run` targets: the grading of one student, and the count of the hidden suite's tests.
GRADE_STUDENT = "autograder.grading.student:main"
COUNT_HIDDEN_TESTS = "autograder.grading.student:count_hidden_tests"


@dataclass
class GradingSpec:
    """What one grading process needs; the batch writes it as JSON."""

    student: str
    submission_dir: str
    out_dir: str
    timeout_s: float = course.DEFAULTS.timeout_s
    lenet: str = course.DEFAULTS.lenet
    seed: int = course.DEFAULTS.seed
    min_isolation: str = course.DEFAULTS.min_isolation
    invalid: str = ""
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
