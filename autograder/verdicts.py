"""The closed vocabularies of a grade: why a test failed (`Reason`) and why a student's grading is incomplete
(`Status`).

Both are `str` enums, so a member compares equal to its text and is written to results.json, grades.csv and
feedback.md as that text (`Reason.TIMEOUT == "timeout"`). Code compares members, never string prefixes; old
results.json files load because their text is the member's value.
"""

from __future__ import annotations

from enum import Enum
from functools import cache


class _Word(str, Enum):
    """A vocabulary word: formats and prints as its text on every Python version."""

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__

    @classmethod
    def parse(cls, text: str):
        """The member whose text `text` is (an old record may add ": why" or " (why)" after the word), or None.

        One look-up each for `text` and its parts before the first ":" and before the first " (": a word holds
        neither, so at most one member can match.
        """
        members = _members(cls)
        return members.get(text) or members.get(text.partition(":")[0]) or members.get(text.partition(" (")[0])


@cache
def _members(vocabulary: type[_Word]) -> dict[str, _Word]:
    """Text -> member of `vocabulary`; `parse` needs every word non-empty and free of ":" and " (" (checked)."""
    members = {member.value: member for member in vocabulary}
    for text in members:
        if not text or ":" in text or " (" in text:
            raise ValueError(f"{vocabulary.__name__} word {text!r} must be non-empty and hold neither ':' nor ' ('")
    return members


class Reason(_Word):
    """Why one test did not pass (results.json's per-test reason, the report's columns)."""

    WRONG_ANSWER = "wrong answer"
    EXCEPTION = "exception"
    NOT_SUBMITTED = "not submitted"
    INVALID_SUBMISSION = "invalid submission"
    IMPORT_ERROR = "import error"
    IMPORT_TIMEOUT = "import timeout"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    MEMORY = "memory limit"
    EXITED = "exited"
    FORBIDDEN = "forbidden API"
    MISSING_FUNCTION = "missing function"
    ANSWER_TOO_LARGE = "answer too large"
    STARVED = "starved"
    DEADLINE = "deadline"
    GRADER_ERROR = "grader error"


class Status(_Word):
    """Why a student's grading is incomplete (grades.csv's `status`); `OK` means every submitted exercise was
    graded on a fair machine."""

    OK = "ok"
    NOTHING_GRADED = "nothing graded"
    INVALID_SUBMISSION = "invalid submission"
    STARVED = "starved"
    DEADLINE = "deadline"
    GRADER_ERROR = "grader error"

    @property
    def regraded_by_resume(self) -> bool:
        """Whether `convkit grade --resume` grades a student with this status again."""
        return self in (Status.STARVED, Status.DEADLINE, Status.GRADER_ERROR)
