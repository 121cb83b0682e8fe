"""Hidden tests of exercise 1: `correlate2d` and `convolve2d` on random images (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import SHORT_OUTPUT, UINT8_WRAPPED, convolve_mistakes, correlate_mistakes, uint8_mistakes


def _wrapped_uint8_correlation(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """What a correlation computed in uint8 arithmetic returns: every product wrapped modulo 256."""
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)  # (H', W', kh, kw)
    return (windows * kernel).sum(axis=(2, 3)).astype(np.float64)  # uint8 * uint8 wraps


def _correlate_mistakes(reference, image: np.ndarray, kernel: np.ndarray, expected: np.ndarray) -> list:
    """Answers of known correlate2d bugs, from the reference's correlations of the kernel turned around."""
    square = kernel.shape[0] == kernel.shape[1]
    return correlate_mistakes(expected, kernel.shape, flipped=reference.correlate2d(image, kernel[::-1, ::-1]),
                              transposed=reference.correlate2d(image, kernel.T) if square else None)


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernel_shape", [
    pytest.param((7, 9), (3, 2), id="H7-W9-k3x2"),
    pytest.param((12, 6), (4, 5), id="H12-W6-k4x5"),
])
def test_correlate2d_matches_the_reference_on_random_non_square_images(
        student, reference, rng, shape, kernel_shape):
    image = rng.normal(size=shape)
    kernel = rng.normal(size=kernel_shape)
    expected = reference.correlate2d(image, kernel)
    check_array(student.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=_correlate_mistakes(reference, image, kernel, expected))


@pytest.mark.points(1)
def test_correlate2d_with_a_1x1_kernel_scales_the_image(student, reference, rng):
    image = rng.normal(size=(int(rng.integers(4, 9)), int(rng.integers(4, 9))))
    kernel = rng.normal(size=(1, 1))
    expected = reference.correlate2d(image, kernel)
    check_array(student.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=_correlate_mistakes(reference, image, kernel, expected),
                hint="a 1x1 kernel multiplies every pixel by its one weight; the output keeps the image's shape")


@pytest.mark.points(1)
def test_correlate2d_with_an_image_sized_kernel_gives_a_single_value(student, reference, rng):
    image = rng.normal(size=(int(rng.integers(3, 7)), int(rng.integers(3, 7))))
    kernel = rng.normal(size=image.shape)
    expected = reference.correlate2d(image, kernel)
    check_array(student.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=[*_correlate_mistakes(reference, image, kernel, expected), (np.zeros((0, 0)), SHORT_OUTPUT)],
                hint="a kernel as large as the image fits in one position only: the output is 1 x 1")


@pytest.mark.points(1)
def test_correlate2d_of_a_uint8_image_and_kernel_returns_exact_floats(student, reference, rng):
    image = rng.integers(0, 256, size=(9, 8), dtype=np.uint8)
    kernel = rng.integers(1, 6, size=(3, 3), dtype=np.uint8)
    expected = reference.correlate2d(image, kernel)
    check_array(student.correlate2d(image, kernel), expected, call_text("correlate2d", image, kernel),
                mistakes=[*uint8_mistakes(expected, wrapped_products=_wrapped_uint8_correlation(image, kernel)),
                          *_correlate_mistakes(reference, image, kernel, expected)],
                hint=UINT8_WRAPPED)


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernel_shape, dtype", [
    pytest.param((8, 7), (3, 3), np.float64, id="H8-W7-k3x3"),
    pytest.param((9, 12), (2, 4), np.uint8, id="H9-W12-k2x4-uint8"),
])
def test_convolve2d_flips_the_kernel_on_both_axes(student, reference, rng, shape, kernel_shape, dtype):
    if dtype == np.uint8:
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        kernel = rng.integers(1, 6, size=kernel_shape, dtype=np.uint8)
    else:
        image = rng.normal(size=shape)
        kernel = rng.normal(size=kernel_shape)
    expected = reference.convolve2d(image, kernel)
    check_array(student.convolve2d(image, kernel), expected, call_text("convolve2d", image, kernel),
                mistakes=convolve_mistakes(
                    expected, kernel.shape, not_flipped=reference.correlate2d(image, kernel),
                    rows_flipped=reference.correlate2d(image, kernel[::-1, :]),
                    cols_flipped=reference.correlate2d(image, kernel[:, ::-1]),
                    # A non-square kernel transposed or turned by 90 degrees gives the same wrong shape: rot90's.
                    transposed=reference.correlate2d(image, kernel.T) if len(set(kernel.shape)) == 1 else None,
                    rotated=reference.correlate2d(image, np.rot90(kernel))),
                hint=UINT8_WRAPPED if dtype == np.uint8 else None)


@pytest.mark.points(1)
def test_correlate2d_and_convolve2d_answer_without_modifying_their_inputs(student, reference, rng):
    image = rng.normal(size=(7, 8))
    kernel = rng.normal(size=(3, 2))
    image_before, kernel_before = image.copy(), kernel.copy()
    for function in ("correlate2d", "convolve2d"):
        expected = getattr(reference, function)(image_before, kernel_before)
        what = call_text(function, image_before, kernel_before)
        check_array(getattr(student, function)(image, kernel), expected, what)
        check_unchanged(image_before, image, f"{what}: the image argument")
        check_unchanged(kernel_before, kernel, f"{what}: the kernel argument")


@pytest.mark.points(1)
def test_correlate2d_rejects_a_kernel_larger_than_the_image(student, rng):
    height, width = int(rng.integers(3, 7)), int(rng.integers(3, 7))
    image = rng.normal(size=(height, width))
    fitting = rng.normal(size=(2, 2))
    for kernel_shape in [(height + 1, 2), (2, width + int(rng.integers(1, 3)))]:
        kernel = rng.normal(size=kernel_shape)
        check_raises_value_error(lambda k=kernel: student.correlate2d(image, k),
                                 call_text("correlate2d", image, kernel),
                                 rule="the kernel is larger than the image (kh > H or kw > W)",
                                 valid_call=lambda: student.correlate2d(image, fitting),
                                 valid_what=call_text("correlate2d", image, fitting))


@pytest.mark.points(1)
def test_correlate2d_rejects_arrays_that_are_not_2d(student, rng):
    cases = [
        (rng.normal(size=(6, 7, 3)), rng.normal(size=(2, 2))),
        (rng.normal(size=(6, 7)), rng.normal(size=(3,))),
    ]
    flat_image, flat_kernel = rng.normal(size=(6, 7)), rng.normal(size=(2, 2))
    for image, kernel in cases:
        check_raises_value_error(lambda i=image, k=kernel: student.correlate2d(i, k),
                                 call_text("correlate2d", image, kernel),
                                 rule="the image or the kernel is not 2-D",
                                 valid_call=lambda: student.correlate2d(flat_image, flat_kernel),
                                 valid_what=call_text("correlate2d", flat_image, flat_kernel))
