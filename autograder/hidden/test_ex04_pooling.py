"""Hidden tests of exercise 4: `max_pool2d` and `average_pool2d` (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises.checks import call_text, check_array, check_raises_value_error
from exercises.mistakes import pool_mistakes


def _pool_mistakes(reference, x, pool_size, stride, kind) -> list:
    """Answers of known pooling bugs, from the reference's answers: this call's, the same windows moved by
    pool_size (the stride ignored) and the other kind of pooling."""
    other = reference.average_pool2d if kind == "max_pool2d" else reference.max_pool2d
    return pool_mistakes(x, getattr(reference, kind)(x, pool_size, stride), kind, pool_size, stride,
                         stride_ignored=getattr(reference, kind)(x, pool_size, None),
                         other=other(x, pool_size, stride))


def _check_pool(student, reference, x, pool_size, stride, kind) -> None:
    expected = getattr(reference, kind)(x, pool_size, stride)
    check_array(getattr(student, kind)(x, pool_size, stride), expected,
                call_text(kind, x, pool_size=pool_size, stride=stride),
                mistakes=_pool_mistakes(reference, x, pool_size, stride, kind))


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, pool_size", [
    pytest.param((7, 9), 2, id="H7-W9-p2"),
    pytest.param((10, 8), 3, id="H10-W8-p3"),
])
def test_max_pool2d_keeps_the_largest_value_of_each_window(student, reference, rng, shape, pool_size):
    _check_pool(student, reference, rng.normal(size=shape), pool_size, None, "max_pool2d")


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, pool_size, stride", [
    pytest.param((9, 11), 3, 2, id="H9-W11-p3-s2-overlapping"),
    pytest.param((10, 9), 2, 3, id="H10-W9-p2-s3-gaps"),
])
def test_max_pool2d_moves_its_window_by_the_stride(student, reference, rng, shape, pool_size, stride):
    _check_pool(student, reference, rng.normal(size=shape), pool_size, stride, "max_pool2d")


@pytest.mark.points(1)
def test_max_pool2d_pools_each_channel_on_its_own(student, reference, rng):
    x = rng.normal(size=(8, 7, int(rng.integers(2, 5))))
    _check_pool(student, reference, x, 2, None, "max_pool2d")


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, pool_size", [
    pytest.param((7, 9), 2, id="H7-W9-p2"),
    pytest.param((9, 6), 3, id="H9-W6-p3"),
])
def test_average_pool2d_takes_the_mean_of_each_window(student, reference, rng, shape, pool_size):
    _check_pool(student, reference, rng.normal(size=shape), pool_size, None, "average_pool2d")


@pytest.mark.points(1)
def test_average_pool2d_with_overlapping_windows_on_several_channels(student, reference, rng):
    x = rng.normal(size=(9, 10, 2))
    _check_pool(student, reference, x, 3, 2, "average_pool2d")


@pytest.mark.points(1)
def test_pooling_a_uint8_map_returns_floats(student, reference, rng):
    x = rng.integers(0, 256, size=(int(rng.integers(5, 9)), int(rng.integers(5, 9)), 2), dtype=np.uint8)
    for kind in ("average_pool2d", "max_pool2d"):
        _check_pool(student, reference, x, 2, None, kind)


@pytest.mark.points(1)
def test_pooling_rejects_a_window_larger_than_the_map_and_bad_strides(student, rng):
    height, width = int(rng.integers(3, 6)), int(rng.integers(3, 6))
    x = rng.normal(size=(height, width, 2))
    big = max(height, width) + 1
    for kind in ("max_pool2d", "average_pool2d"):
        check_raises_value_error(lambda k=kind: getattr(student, k)(x, big),
                                 call_text(kind, x, pool_size=big),
                                 rule="pool_size is larger than the map's height or width",
                                 valid_call=lambda k=kind: getattr(student, k)(x, 2),
                                 valid_what=call_text(kind, x, pool_size=2))
        check_raises_value_error(lambda k=kind: getattr(student, k)(x, 2, 0),
                                 call_text(kind, x, pool_size=2, stride=0),
                                 rule="stride is not None or an int >= 1")
