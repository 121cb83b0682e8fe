"""`Reason.parse` and `Status.parse`: the member a results.json text names, with or without a suffix."""

from __future__ import annotations

from enum import Enum

import pytest

from autograder.verdicts import Reason, Status, _Word


def parse_by_scanning(vocabulary: type[Enum], text: str):
    """The oracle: the first member, in definition order, whose text `text` is or starts with plus ":" or " ("."""
    for member in vocabulary:
        if text == member.value or text.startswith(member.value + ":") or text.startswith(member.value + " ("):
            return member
    return None


def texts_to_parse() -> list[str]:
    words = [member.value for vocabulary in (Reason, Status) for member in vocabulary]
    suffixed = [word + suffix for word in words
                for suffix in (":", ": why", " (", " (pytest exit 2)", " (x): y", ": a (b)", "s", "(x)", " x", "::")]
    unknown = ["", ":", " (", "passed", "Timeout", " timeout", "timeout\n", "x: timeout", "time", "wrong", "okay",
               "import", "import (error)", "memory", "grader: error"]
    return words + suffixed + unknown + [*Reason, *Status]


@pytest.mark.parametrize("vocabulary", [Reason, Status])
def test_parse_finds_the_member_a_scan_of_the_vocabulary_finds(vocabulary):
    found = {text: vocabulary.parse(text) for text in texts_to_parse()}
    expected = {text: parse_by_scanning(vocabulary, text) for text in texts_to_parse()}
    assert found == expected
    assert all(member is None or type(member) is vocabulary for member in found.values())
    assert sum(member is not None for member in found.values()) > 2 * len(vocabulary)


def test_parse_reads_a_word_followed_by_why():
    assert Reason.parse("timeout: after 10 s") is Reason.TIMEOUT
    assert Status.parse("grader error (pytest exit 2)") is Status.GRADER_ERROR
    assert Status.parse("okay") is None


def test_a_word_holding_a_suffix_is_refused():
    class Ambiguous(_Word):
        PLAIN = "plain"
        COLON = "time: out"

    with pytest.raises(ValueError, match="'time: out' must be non-empty and hold neither"):
        Ambiguous.parse("plain")
