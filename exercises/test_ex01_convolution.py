"""Public tests for exercise 1 (`correlate2d`, `convolve2d`): run `pytest exercises/test_ex01_convolution.py`.

Each case is small enough to check by hand. A failing test prints what was checked, the worst wrong element
and, when the answer matches a common mistake, a hint naming it.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex01_convolution as ex
from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import loop_mistakes

EDGE = np.array([[-1, 1], [-1, 1]])  # "brighter on the right than on the left"
STEP = np.array([[0, 0, 9, 9]] * 4, dtype=np.uint8)  # dark left half, bright right half
GRID = np.arange(9.0).reshape(3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]

FLIPPED = "you flipped the kernel: that is convolve2d; correlate2d uses the kernel as it is"
NOT_FLIPPED = "the kernel was not flipped: convolve2d flips it on both axes (kernel[::-1, ::-1]) first"
HALF_FLIPPED = "the kernel was flipped on one axis only: flip both, kernel[::-1, ::-1]"
TRANSPOSED = "the kernel was transposed, not flipped: flip both axes with kernel[::-1, ::-1]"
OFF_BY_ONE = ("the output has H - kh + 1 rows and W - kw + 1 columns: range(H - 2) is right "
              "for a 3x3 kernel only")
WRAPPED = "uint8 arithmetic wraps around at 256: convert to float64 before multiplying and adding"


def off_by_one(expected: np.ndarray) -> list:
    """The answers a loop that stops one row or column early gives, with their hint, from the mistake
    catalogue the hidden tests share (`exercises.mistakes.loop_mistakes`)."""
    return loop_mistakes(expected)


def test_the_edge_kernel_lights_up_a_left_edge():
    expected = np.array([[0.0, 18.0, 0.0]] * 3)
    check_array(ex.correlate2d(STEP, EDGE), expected, call_text("correlate2d", STEP, EDGE),
                mistakes=[(-expected, FLIPPED), *off_by_one(expected)])


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
                mistakes=[(np.array(flipped), FLIPPED),
                          (np.array(transposed), "the kernel was transposed: use it as it is"),
                          *off_by_one(np.array(expected))])


def test_correlate2d_on_a_non_square_image_and_kernel():
    image = np.arange(12.0).reshape(3, 4)
    kernel = np.ones((2, 3))
    expected = np.array([[18.0, 24.0], [42.0, 48.0]])  # e.g. 0 + 1 + 2 + 4 + 5 + 6 = 18
    check_array(ex.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=[(np.zeros((1, 3)), "rows go with kh = kernel.shape[0], columns with kw = kernel.shape[1]"),
                          *off_by_one(expected)])


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
                mistakes=[(np.zeros((height - 2, width - 2)), OFF_BY_ONE), *off_by_one(expected)])


def test_uint8_images_give_float_sums_without_wraparound():
    image = np.full((3, 3), 200, dtype=np.uint8)
    kernel = np.full((2, 2), 2, dtype=np.uint8)
    expected = np.full((2, 2), 1600.0)  # 4 * 200 * 2
    check_array(ex.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=[(np.full((2, 2), 4 * (400 % 256)), WRAPPED), (expected % 256, WRAPPED),
                          *off_by_one(expected)])


def test_convolve2d_flips_the_edge_kernel():
    expected = np.array([[0.0, -18.0, 0.0]] * 3)
    check_array(ex.convolve2d(STEP, EDGE), expected, call_text("convolve2d", STEP, EDGE),
                mistakes=[(-expected, NOT_FLIPPED), *off_by_one(expected)])


def test_convolve2d_flips_both_axes():
    kernel = np.array([[1, 2, 0], [0, 0, 0], [0, 0, 3]])
    image = np.array([[0, 1, 4, 9, 5], [3, 3, 5, 9, 4], [1, 0, 1, 4, 9], [5, 3, 3, 5, 9]], dtype=float)
    expected = np.array([[1.0, 9.0, 29.0], [18.0, 20.0, 34.0]])  # e.g. 3*0 + 2*0 + 1*1 = 1
    check_array(ex.convolve2d(image, kernel), expected, call_text("convolve2d", image, kernel),
                mistakes=[(np.array([[5, 21, 49], [18, 28, 50]]), NOT_FLIPPED),
                          (np.array([[13, 29, 24], [26, 36, 25]]), HALF_FLIPPED),
                          (np.array([[9, 17, 26], [26, 28, 31]]), HALF_FLIPPED),
                          (np.array([[9, 19, 41], [14, 18, 34]]), TRANSPOSED), *off_by_one(expected)])


def test_convolve2d_of_uint8_images_is_float():
    image = np.full((3, 4), 255, dtype=np.uint8)
    kernel = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    expected = np.full((2, 3), 2550.0)  # 255 * (1 + 2 + 3 + 4)
    wrapped_products = np.full((2, 3), sum(255 * k % 256 for k in (1, 2, 3, 4)))
    check_array(ex.convolve2d(image, kernel), expected, call_text("convolve2d", image, kernel),
                mistakes=[(wrapped_products, WRAPPED), (expected % 256, WRAPPED), *off_by_one(expected)])


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
