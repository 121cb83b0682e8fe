"""Public tests for exercise 2 (`zero_pad`, `output_size`, `conv2d`): run `pytest exercises/test_ex02_padding.py`.

Each case is small enough to check by hand. A failing test prints what was checked, the worst wrong element
and, when the answer matches a common mistake, a hint naming it.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex02_padding as ex
from exercises.checks import call_text, check_array, check_int, check_raises_value_error, check_unchanged
from exercises.mistakes import (
    CONV2D_RULE,
    SAME_PADS,
    conv2d_mistakes,
    output_size_mistakes,
    uint8_mistakes,
    zero_pad_mistakes,
)

GRID = np.arange(9.0).reshape(3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_zero_pad_by_one_surrounds_the_image_with_zeros():
    image = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    expected = np.array([[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]], dtype=float)
    check_array(ex.zero_pad(image, 1), expected, call_text("zero_pad", image, 1), mistakes=zero_pad_mistakes(image, 1))


def test_zero_pad_takes_top_bottom_left_right():
    image = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    pad = ((0, 1), (1, 0))
    expected = np.array([[0, 1, 2], [0, 3, 4], [0, 0, 0]], dtype=float)
    check_array(ex.zero_pad(image, pad), expected, call_text("zero_pad", image, pad),
                mistakes=zero_pad_mistakes(image, pad, swapped=np.array([[0, 0, 0], [1, 2, 0], [3, 4, 0]])))


def test_zero_pad_never_pads_the_channel_axis():
    image = np.arange(1.0, 13.0).reshape(2, 3, 2)  # (H, W, C) = (2, 3, 2)
    expected = np.zeros((4, 5, 2))
    expected[1:3, 1:4, :] = image
    check_array(ex.zero_pad(image, 1), expected, call_text("zero_pad", image, 1),
                mistakes=zero_pad_mistakes(image, 1))


@pytest.mark.parametrize("image", [
    pytest.param(np.array([[1.0, 2.0], [3.0, 4.0]]), id="float64"),
    pytest.param(np.array([[1, 2], [3, 4]], dtype=np.uint8), id="uint8"),
])
def test_zero_pad_does_not_modify_the_image(image):
    before = image.copy()
    ex.zero_pad(image, 2)
    check_unchanged(before, image, call_text("zero_pad", image, 2) + ": the image argument")


@pytest.mark.parametrize("image, pad, rule", [
    pytest.param(np.zeros((2, 2)), -1, "a pad size is negative", id="negative-int-pad"),
    pytest.param(np.zeros((2, 2)), ((0, 1), (-1, 0)), "a pad size is negative", id="negative-pad-in-pairs"),
    pytest.param(np.zeros((2, 2)), (1, 2, 3), "pad is not an int or ((top, bottom), (left, right))",
                 id="pad-of-three-numbers"),
    pytest.param(np.zeros(4), 1, "the image is not (H, W) or (H, W, C)", id="1d-image"),
])
def test_zero_pad_rejects_bad_arguments(image, pad, rule):
    check_raises_value_error(lambda: ex.zero_pad(image, pad), call_text("zero_pad", image, pad), rule=rule)


@pytest.mark.parametrize("n, k, padding, stride, expected", [
    pytest.param(28, 3, "same", 1, 28, id="n28-k3-same-keeps-28"),
    pytest.param(28, 5, "valid", 1, 24, id="n28-k5-valid-gives-24"),
    pytest.param(28, 3, "full", 1, 30, id="n28-k3-full-gives-30"),
    pytest.param(5, 3, "full", 1, 7, id="n5-k3-full-gives-7"),
    pytest.param(28, 3, "same", 2, 14, id="n28-k3-same-s2-gives-14"),
    pytest.param(5, 2, "same", 2, 3, id="n5-k2-same-s2-rounds-up-to-3"),
    pytest.param(5, 2, "valid", 2, 2, id="n5-k2-valid-s2-rounds-down-to-2"),
    pytest.param(7, 3, 1, 2, 4, id="n7-k3-pad1-s2-gives-4"),
    pytest.param(28, 5, 2, 1, 28, id="n28-k5-pad2-gives-28"),
    pytest.param(4, 4, "valid", 1, 1, id="kernel-as-long-as-the-input-gives-1"),
])
def test_output_size_follows_keras(n, k, padding, stride, expected):
    check_int(ex.output_size(n, k, padding, stride), expected, call_text("output_size", n, k, padding, stride),
              mistakes=output_size_mistakes(n, k, padding, stride))


@pytest.mark.parametrize("args, rule", [
    pytest.param((5, 3, "half", 1), "padding is not 'valid', 'same', 'full' or an int", id="unknown-padding"),
    pytest.param((5, 3, "valid", 0), "the stride is less than 1", id="stride-0"),
    pytest.param((5, 3, -1, 1), "an int padding is negative", id="negative-padding"),
    pytest.param((3, 5, "valid", 1), "the kernel is longer than the input", id="kernel-longer-than-input"),
    pytest.param((0, 1, "valid", 1), "input_size is not positive", id="input-size-0"),
    pytest.param((5, 0, "same", 1), "kernel_size is not positive", id="kernel-size-0"),
])
def test_output_size_rejects_bad_arguments(args, rule):
    check_raises_value_error(lambda: ex.output_size(*args), call_text("output_size", *args), rule=rule)


def test_conv2d_valid_is_a_plain_correlation():
    image = np.arange(20.0).reshape(4, 5)
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = np.array([[41.0, 51.0, 61.0, 71.0], [91.0, 101.0, 111.0, 121.0], [141.0, 151.0, 161.0, 171.0]])
    # e.g. 0*1 + 1*2 + 5*3 + 6*4 = 41
    check_array(ex.conv2d(image, kernel), expected, call_text("conv2d", image, kernel),
                mistakes=conv2d_mistakes(expected, flipped=np.array([[19, 29, 39, 49], [69, 79, 89, 99],
                                                                     [119, 129, 139, 149]])), hint=CONV2D_RULE)


def test_conv2d_same_with_a_3x3_kernel_keeps_the_size():
    image = np.arange(25.0).reshape(5, 5)
    kernel = np.ones((3, 3))
    expected = np.array([[12, 21, 27, 33, 24], [33, 54, 63, 72, 51], [63, 99, 108, 117, 81],
                         [93, 144, 153, 162, 111], [72, 111, 117, 123, 84]], dtype=float)  # e.g. 0 + 1 + 5 + 6 = 12
    check_array(ex.conv2d(image, kernel, "same"), expected, call_text("conv2d", image, kernel, padding="same"),
                mistakes=conv2d_mistakes(expected), hint=SAME_PADS)


def test_conv2d_same_with_an_even_kernel_pads_the_extra_row_at_the_bottom():
    kernel = np.ones((2, 2))
    expected = np.array([[8.0, 12.0, 7.0], [20.0, 24.0, 13.0], [13.0, 15.0, 8.0]])  # e.g. 0 + 1 + 3 + 4 = 8
    check_array(ex.conv2d(GRID, kernel, "same"), expected, call_text("conv2d", GRID, kernel, padding="same"),
                mistakes=conv2d_mistakes(expected, extra_before=[np.array([[0, 1, 3], [3, 8, 12], [9, 20, 24]]),
                                                                 np.array([[1, 3, 2], [8, 12, 7], [20, 24, 13]]),
                                                                 np.array([[3, 8, 12], [9, 20, 24], [6, 13, 15]])]),
                hint=SAME_PADS)  # the extra zeros top and left, top and right, bottom and left


def test_conv2d_full_pads_k_minus_one_on_every_side():
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = np.array([[0, 4, 11, 6], [12, 27, 37, 17], [30, 57, 67, 29], [12, 20, 23, 8]], dtype=float)
    # (4, 4); e.g. the corner 4 * GRID[0, 0] = 0, its neighbour 3 * 0 + 4 * 1 = 4
    check_array(ex.conv2d(GRID, kernel, "full"), expected, call_text("conv2d", GRID, kernel, padding="full"),
                mistakes=conv2d_mistakes(expected), hint=CONV2D_RULE)


def test_conv2d_with_an_int_padding_pads_that_many_zeros():
    kernel = np.ones((3, 3))
    expected = np.array([[0, 1, 3, 3, 2], [3, 8, 15, 12, 7], [9, 21, 36, 27, 15], [9, 20, 33, 24, 13],
                         [6, 13, 21, 15, 8]], dtype=float)  # (5, 5); the centre is the sum of GRID, 36
    check_array(ex.conv2d(GRID, kernel, 2), expected, call_text("conv2d", GRID, kernel, padding=2),
                mistakes=conv2d_mistakes(expected), hint=CONV2D_RULE)


VALID_STRIDE_1 = [[13, -1, -8, -8], [13, 13, -1, -8], [-1, 13, 13, -1]]
SAME_STRIDE_1 = [[1, -6, -6, -6, 11], [13, -1, -8, -8, 12], [13, 13, -1, -8, 8], [-1, 13, 13, -1, 4],
                 [-6, 1, 15, 8, 1]]  # with the pads of stride 2: one row above and below, one column right


# padding, stride, the answer, the answer with the same pads and stride 1 (the stride ignored).
@pytest.mark.parametrize("padding, stride, expected, stride_ignored", [
    pytest.param("valid", 2, [[13, -8], [-1, 13]], VALID_STRIDE_1, id="H5-W6-k3-s2-valid"),
    pytest.param("same", 2, [[1, -6, 11], [13, -1, 8], [-6, 15, 1]], SAME_STRIDE_1, id="H5-W6-k3-s2-same"),
    pytest.param("valid", 3, [[13, -8]], VALID_STRIDE_1, id="H5-W6-k3-s3-valid"),
])
def test_conv2d_with_stride_keeps_every_s_th_window(padding, stride, expected, stride_ignored):
    image = np.arange(30.0).reshape(5, 6) % 7
    kernel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    expected = np.array(expected, dtype=float)
    what = call_text("conv2d", image, kernel, padding=padding, stride=stride)
    check_array(ex.conv2d(image, kernel, padding, stride), expected, what,
                mistakes=conv2d_mistakes(expected, flipped=-expected, every_position=stride_ignored),
                hint=SAME_PADS if padding == "same" else CONV2D_RULE)  # turned by 180 degrees the kernel is -kernel


def test_conv2d_of_uint8_images_is_float():
    image = np.full((3, 3), 250, dtype=np.uint8)
    kernel = np.full((2, 2), 2, dtype=np.uint8)
    expected = np.full((2, 2), 2000.0)
    check_array(ex.conv2d(image, kernel), expected, call_text("conv2d", image, kernel),
                mistakes=uint8_mistakes(expected, wrapped_products=np.full((2, 2), 4 * (250 * 2 % 256))))


@pytest.mark.parametrize("dtype", [np.float64, np.uint8])
def test_conv2d_does_not_modify_its_inputs(dtype):
    image = (np.arange(20) % 9).reshape(4, 5).astype(dtype)
    kernel = np.array([[1, 2], [3, 4]], dtype=dtype)
    image_before, kernel_before = image.copy(), kernel.copy()
    ex.conv2d(image, kernel, "same", 2)
    what = call_text("conv2d", image, kernel, padding="same", stride=2)
    check_unchanged(image_before, image, what + ": the image argument")
    check_unchanged(kernel_before, kernel, what + ": the kernel argument")


@pytest.mark.parametrize("image, kernel, padding, stride, rule", [
    pytest.param(np.zeros((3, 3)), np.ones((4, 4)), "valid", 1, "the kernel is larger than the image",
                 id="kernel-larger-than-image-valid"),
    pytest.param(np.zeros((5, 5)), np.ones((3, 3)), "middle", 1, "padding is unknown", id="unknown-padding"),
    pytest.param(np.zeros((5, 5)), np.ones((3, 3)), "same", 0, "the stride is less than 1", id="stride-0"),
    pytest.param(np.zeros((5, 5, 1)), np.ones((3, 3)), "same", 1, "the image is not 2-D", id="3d-image"),
    pytest.param(np.zeros((5, 5)), np.ones(3), "same", 1, "the kernel is not 2-D", id="1d-kernel"),
])
def test_conv2d_rejects_bad_arguments(image, kernel, padding, stride, rule):
    check_raises_value_error(lambda: ex.conv2d(image, kernel, padding, stride),
                             call_text("conv2d", image, kernel, padding=padding, stride=stride), rule=rule)
