"""Public tests for exercise 1 (`correlate2d`, `convolve2d`): run `pytest exercises/test_ex01_convolution.py`.

Each case is small enough to check by hand. A failing test prints what was checked, the worst wrong element
and, when the answer matches a common mistake, a hint naming it.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex01_convolution as ex
from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import convolve_mistakes, correlate_mistakes, uint8_mistakes

EDGE = np.array([[-1, 1], [-1, 1]])  # "brighter on the right than on the left"
STEP = np.array([[0, 0, 9, 9]] * 4, dtype=np.uint8)  # dark left half, bright right half
GRID = np.arange(9.0).reshape(3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_the_edge_kernel_lights_up_a_left_edge():
    expected = np.array([[0.0, 18.0, 0.0]] * 3)
    check_array(ex.correlate2d(STEP, EDGE), expected, call_text("correlate2d", STEP, EDGE),
                mistakes=correlate_mistakes(expected, EDGE.shape, flipped=-expected))


# kernel, the answer, the answer with the kernel flipped, the answer with the kernel transposed.
@pytest.mark.parametrize("kernel, expected, flipped, transposed", [
    pytest.param([[1, 0], [0, 0]], [[0, 1], [3, 4]], [[4, 5], [7, 8]], [[0, 1], [3, 4]],
                 id="top-left-weight-picks-the-top-left-pixels"),
    pytest.param([[0, 0], [0, 1]], [[4, 5], [7, 8]], [[0, 1], [3, 4]], [[4, 5], [7, 8]],
                 id="bottom-right-weight-picks-the-bottom-right-pixels"),
    pytest.param([[0, 1], [0, 0]], [[1, 2], [4, 5]], [[3, 4], [6, 7]], [[3, 4], [6, 7]],
                 id="top-right-weight-picks-the-top-right-pixels"),
])
def test_correlate2d_uses_the_kernel_as_it_is(kernel, expected, flipped, transposed):
    kernel = np.array(kernel)
    check_array(ex.correlate2d(GRID, kernel), np.array(expected, dtype=float),
                call_text("correlate2d", GRID, kernel),
                mistakes=correlate_mistakes(expected, kernel.shape, flipped=flipped, transposed=transposed))


def test_correlate2d_on_a_non_square_image_and_kernel():
    image = np.arange(12.0).reshape(3, 4)
    kernel = np.ones((2, 3))
    expected = np.array([[18.0, 24.0], [42.0, 48.0]])  # e.g. 0 + 1 + 2 + 4 + 5 + 6 = 18
    check_array(ex.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=correlate_mistakes(expected, kernel.shape))


@pytest.mark.parametrize("height, width, kh, kw, expected", [
    pytest.param(5, 5, 2, 2, [[41, 23, 12, 22], [42, 38, 41, 23], [22, 32, 42, 38], [23, 12, 22, 32]],
                 id="H5-W5-k2x2"),
    pytest.param(6, 4, 3, 1, [[11, 17, 23, 15], [21, 27, 12, 11], [17, 23, 15, 21], [27, 12, 11, 17]],
                 id="H6-W4-k3x1"),
    pytest.param(4, 7, 4, 7, [[1330]], id="kernel-as-large-as-the-image"),
])
def test_the_output_has_h_minus_kh_plus_one_rows(height, width, kh, kw, expected):
    image = np.arange(height * width, dtype=float).reshape(height, width) % 7
    kernel = np.arange(1.0, kh * kw + 1).reshape(kh, kw)
    expected = np.array(expected, dtype=float)  # e.g. H5-W5: 0*1 + 1*2 + 5*3 + 6*4 = 41
    check_array(ex.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=correlate_mistakes(expected, kernel.shape))


def test_uint8_images_give_float_sums_without_wraparound():
    image = np.full((3, 3), 200, dtype=np.uint8)
    kernel = np.full((2, 2), 2, dtype=np.uint8)
    expected = np.full((2, 2), 1600.0)  # 4 * 200 * 2
    check_array(ex.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=uint8_mistakes(expected, wrapped_products=np.full((2, 2), 4 * (400 % 256)))
                + correlate_mistakes(expected, kernel.shape))


def test_convolve2d_flips_the_edge_kernel():
    expected = np.array([[0.0, -18.0, 0.0]] * 3)
    check_array(ex.convolve2d(STEP, EDGE), expected, call_text("convolve2d", STEP, EDGE),
                mistakes=convolve_mistakes(expected, EDGE.shape, not_flipped=-expected))


def test_convolve2d_flips_both_axes():
    kernel = np.array([[1, 2, 0], [0, 0, 0], [0, 0, 3]])
    image = np.array([[0, 1, 4, 9, 5], [3, 3, 5, 9, 4], [1, 0, 1, 4, 9], [5, 3, 3, 5, 9]], dtype=float)
    expected = np.array([[1.0, 9.0, 29.0], [18.0, 20.0, 34.0]])  # e.g. 3*0 + 2*0 + 1*1 = 1
    check_array(ex.convolve2d(image, kernel), expected, call_text("convolve2d", image, kernel),
                mistakes=convolve_mistakes(expected, kernel.shape, not_flipped=[[5, 21, 49], [18, 28, 50]],
                                           rows_flipped=[[13, 29, 24], [26, 36, 25]],
                                           cols_flipped=[[9, 17, 26], [26, 28, 31]],
                                           transposed=[[9, 19, 41], [14, 18, 34]],
                                           rotated=[[19, 33, 26], [22, 30, 17]]))


def test_convolve2d_of_uint8_images_is_float():
    image = np.full((3, 4), 255, dtype=np.uint8)
    kernel = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    expected = np.full((2, 3), 2550.0)  # 255 * (1 + 2 + 3 + 4)
    wrapped_products = np.full((2, 3), sum(255 * k % 256 for k in (1, 2, 3, 4)))
    check_array(ex.convolve2d(image, kernel), expected, call_text("convolve2d", image, kernel),
                mistakes=uint8_mistakes(expected, wrapped_products) + convolve_mistakes(expected, kernel.shape))


@pytest.mark.parametrize("name", ["correlate2d", "convolve2d"])
@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
def test_inputs_are_not_modified(name, dtype):
    image = (np.arange(20) % 9).reshape(4, 5).astype(dtype)
    kernel = np.array([[1, 2], [3, 4]], dtype=dtype)
    image_before, kernel_before = image.copy(), kernel.copy()
    getattr(ex, name)(image, kernel)
    check_unchanged(image_before, image, call_text(name, image, kernel) + ": the image argument")
    check_unchanged(kernel_before, kernel, call_text(name, image, kernel) + ": the kernel argument")


@pytest.mark.parametrize("name", ["correlate2d", "convolve2d"])
@pytest.mark.parametrize("image, kernel, rule", [
    pytest.param(np.zeros((3, 3)), np.ones((4, 2)), "the kernel is taller than the image",
                 id="kernel-taller-than-image"),
    pytest.param(np.zeros((3, 3)), np.ones((2, 4)), "the kernel is wider than the image",
                 id="kernel-wider-than-image"),
    pytest.param(np.zeros((3, 3, 3)), np.ones((2, 2)), "the image is not 2-D", id="3d-image"),
    pytest.param(np.zeros((3, 3)), np.ones(2), "the kernel is not 2-D", id="1d-kernel"),
])
def test_bad_arguments_raise_value_error(name, image, kernel, rule):
    function = getattr(ex, name)
    check_raises_value_error(lambda: function(image, kernel), call_text(name, image, kernel), rule=rule)
