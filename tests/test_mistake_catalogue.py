"""The loop mistakes of exercise 1 get their own hint in the hidden suite, from the catalogue the public tests
share (`exercises.checks.loop_mistakes`)."""

import numpy as np
import pytest

from autograder.hidden import test_ex01_convolution as hidden
from exercises import checks
from solutions import ex01_convolution as reference


def loop(image, kernel, stop):
    """A correctly sized output filled by a loop whose rows/columns stop at `stop(n, k)`."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(min(stop(image.shape[0], kh), out.shape[0])):
        for j in range(min(stop(image.shape[1], kw), out.shape[1])):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def message(answer, image, kernel, hint=None):
    expected = reference.correlate2d(image, kernel)
    with pytest.raises(checks.CheckFailure) as failure:
        checks.check_array(answer, expected, "correlate2d", hint=hint,
                           mistakes=hidden._correlate_mistakes(reference, image, kernel, expected))
    return str(failure.value)


@pytest.mark.parametrize("kernel_shape", [(1, 1), (2, 2), (1, 2)], ids=["k1x1", "k2x2", "k1x2"])
def test_the_lessons_range_h_minus_2_loop_gets_its_hint_and_not_the_1x1_hint(kernel_shape):
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(7, 6)), rng.normal(size=kernel_shape)
    text = message(loop(image, kernel, lambda n, k: n - 2), image, kernel,
                   hint="a 1x1 kernel multiplies every pixel by its one weight; the output keeps the image's shape")
    assert "range(H - 2)" in text and "keeps the image's shape" not in text


def test_a_range_h_minus_kh_loop_is_told_about_range_h_minus_kh_not_range_h_minus_2():
    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(8, 9)), rng.normal(size=(4, 3))
    text = message(loop(image, kernel, lambda n, k: n - k), image, kernel)
    assert "range(H - kh + 1)" in text and "range(H - 2)" not in text
    short = reference.correlate2d(image, kernel)[:-1, :-1]
    text = message(short, image, kernel)
    assert "range(H - kh)" in text and "range(H - 2)" not in text
