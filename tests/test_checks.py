"""The check library's ValueError check: rejecting bad arguments earns nothing when valid ones fail too."""

import pytest

from exercises.checks import CheckFailure, check_raises_value_error


def always_raises(*args):
    raise ValueError("no")


def checks_its_argument(size):
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    return size


def test_a_function_that_raises_value_error_on_valid_arguments_too_fails():
    with pytest.raises(CheckFailure, match="raised ValueError on arguments that break no rule"):
        check_raises_value_error(lambda: always_raises(0), "f(0)", rule="size < 1",
                                 valid_call=lambda: always_raises(2), valid_what="f(2)")


def test_a_function_that_checks_its_arguments_passes_with_and_without_a_valid_call():
    check_raises_value_error(lambda: checks_its_argument(0), "f(0)", rule="size < 1",
                             valid_call=lambda: checks_its_argument(2))
    check_raises_value_error(lambda: checks_its_argument(0), "f(0)", rule="size < 1")
    with pytest.raises(CheckFailure, match="returned 3, expected a ValueError"):
        check_raises_value_error(lambda: checks_its_argument(3), "f(3)", rule="size < 1")
