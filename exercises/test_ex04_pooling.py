"""Public tests for exercise 4 (`max_pool2d`, `average_pool2d`): run `pytest exercises/test_ex04_pooling.py`.

Each case is small enough to check by hand. A failing test prints what was checked, the worst wrong element
and, when the answer matches a common mistake, a hint naming it.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex04_pooling as ex
from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import pool_mistakes

MAPS = np.array([[1, 2, 0, 0], [3, 4, 0, 8], [0, 0, 5, 6], [0, 1, 7, 0]], dtype=np.uint8)


def test_max_pool2d_keeps_the_largest_value_of_each_2x2_window():
    expected = np.array([[4.0, 8.0], [1.0, 7.0]])
    check_array(ex.max_pool2d(MAPS), expected, call_text("max_pool2d", MAPS),
                mistakes=pool_mistakes(MAPS, expected, "max_pool2d"))


def test_average_pool2d_takes_the_mean_of_each_2x2_window():
    expected = np.array([[2.5, 2.0], [0.25, 4.5]])  # e.g. (1 + 2 + 3 + 4) / 4 = 2.5
    check_array(ex.average_pool2d(MAPS), expected, call_text("average_pool2d", MAPS),
                mistakes=pool_mistakes(MAPS, expected, "average_pool2d"))


@pytest.mark.parametrize("name, expected", [
    pytest.param("max_pool2d", [[5.0, 3.0], [5.0, 5.0]], id="max"),
    pytest.param("average_pool2d", [[1.5, 2.0], [4.0, 1.5]], id="average"),  # e.g. (0 + 1 + 5 + 0) / 4 = 1.5
])
def test_a_5x5_map_with_a_2x2_pool_gives_2x2(name, expected):
    x = np.arange(25.0).reshape(5, 5) % 6
    expected = np.array(expected)  # the last row and column are dropped
    check_array(getattr(ex, name)(x), expected, call_text(name, x), mistakes=pool_mistakes(x, expected, name))


MAX_P2_S2 = [[3, 5, 0], [5, 1, 3], [2, 4, 5]]
AVERAGE_P2_S2 = [[-1.0, 1.0, -2.5], [-0.75, -1.5, 0.5], [-0.5, 1.5, 0.75]]


# name, pool_size, stride, the answer, the answer with stride = pool_size (the stride ignored).
@pytest.mark.parametrize("name, pool_size, stride, expected, stride_ignored", [
    pytest.param("max_pool2d", 2, 1, [[3, 4, 5, 5, 0, 1], [3, 4, 5, 5, 3, 4], [5, 0, 1, 2, 3, 4],
                                      [5, 3, 4, 5, 5, 0], [2, 3, 4, 5, 5, 3]], MAX_P2_S2,
                 id="p2-s1-overlapping-max"),
    pytest.param("average_pool2d", 2, 1, [[-1.0, 0.0, 1.0, -0.75, -2.5, -1.5], [0.5, 1.5, 2.5, 0.75, -1.0, 0.0],
                                          [-0.75, -2.5, -1.5, -0.5, 0.5, 1.5], [0.75, -1.0, 0.0, 1.0, -0.75, -2.5],
                                          [-0.5, 0.5, 1.5, 2.5, 0.75, -1.0]], AVERAGE_P2_S2,
                 id="p2-s1-overlapping-average"),
    pytest.param("max_pool2d", 3, 2, [[4, 5, 4], [5, 5, 5]], [[4, 5], [5, 5]], id="p3-s2-max"),
    pytest.param("average_pool2d", 3, 2, np.array([[-6, 1, -3], [-1, 6, 2]]) / 9, np.array([[-6, -1], [-4, 1]]) / 9,
                 id="p3-s2-average"),
    pytest.param("max_pool2d", 2, 3, [[3, 5], [5, 5]], MAX_P2_S2, id="p2-s3-gaps-max"),
    pytest.param("average_pool2d", 2, 3, [[-1.0, -0.75], [0.75, 1.0]], AVERAGE_P2_S2, id="p2-s3-gaps-average"),
])
def test_the_stride_sets_the_step_between_windows(name, pool_size, stride, expected, stride_ignored):
    x = np.arange(42.0).reshape(6, 7) % 11 - 5  # rows [-5, -4, -3, -2, -1, 0, 1], [2, 3, 4, 5, -5, -4, -3] ...
    expected = np.array(expected, dtype=float)
    check_array(getattr(ex, name)(x, pool_size, stride), expected, call_text(name, x, pool_size, stride),
                mistakes=pool_mistakes(x, expected, name, pool_size, stride, stride_ignored=stride_ignored))


@pytest.mark.parametrize("name, expected", [
    pytest.param("max_pool2d", [[[4, 40], [8, 10]], [[1, 80], [7, 70]]], id="max"),
    pytest.param("average_pool2d", [[[2.5, 25.0], [2.0, 2.5]], [[0.25, 20.0], [4.5, 45.0]]], id="average"),
])
def test_each_channel_is_pooled_on_its_own(name, expected):
    x = np.stack([MAPS, 10 * MAPS.T], axis=-1).astype(np.float64)  # (H, W, C) = (4, 4, 2)
    expected = np.array(expected, dtype=float)  # (2, 2, 2)
    check_array(getattr(ex, name)(x), expected, call_text(name, x), mistakes=pool_mistakes(x, expected, name))


def test_max_pool2d_of_negative_maps_stays_negative():
    x = -np.arange(1.0, 17.0).reshape(4, 4)
    expected = np.array([[-1.0, -3.0], [-9.0, -11.0]])
    check_array(ex.max_pool2d(x), expected, call_text("max_pool2d", x),
                mistakes=pool_mistakes(x, expected, "max_pool2d"))


def test_average_pool2d_of_uint8_maps_is_float():
    x = np.array([[255, 255], [255, 254]], dtype=np.uint8)
    expected = np.array([[254.75]])
    check_array(ex.average_pool2d(x), expected, call_text("average_pool2d", x),
                mistakes=pool_mistakes(x, expected, "average_pool2d"))  # wrapped: (255 * 3 + 254) % 256 / 4


@pytest.mark.parametrize("name", ["max_pool2d", "average_pool2d"])
def test_pooling_does_not_modify_its_input(name):
    x = np.arange(36.0).reshape(6, 6) % 7
    before = x.copy()
    getattr(ex, name)(x, 3, 1)
    check_unchanged(before, x, call_text(name, x, 3, 1) + ": the x argument")


@pytest.mark.parametrize("name", ["max_pool2d", "average_pool2d"])
@pytest.mark.parametrize("x, pool_size, stride, rule", [
    pytest.param(np.zeros((3, 3)), 4, None, "the window is larger than the map", id="pool-larger-than-map"),
    pytest.param(np.zeros((4, 4)), 0, None, "pool_size is less than 1", id="pool-size-0"),
    pytest.param(np.zeros((4, 4)), 2, 0, "the stride is less than 1", id="stride-0"),
    pytest.param(np.zeros(4), 2, None, "x is not (H, W) or (H, W, C)", id="1d-x"),
    pytest.param(np.zeros((1, 4, 4, 1)), 2, None, "x is not (H, W) or (H, W, C)", id="4d-batch"),
])
def test_pooling_rejects_bad_arguments(name, x, pool_size, stride, rule):
    function = getattr(ex, name)
    check_raises_value_error(lambda: function(x, pool_size, stride), call_text(name, x, pool_size, stride),
                             rule=rule)
