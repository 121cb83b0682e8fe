"""Hidden tests of exercise 2: `zero_pad`, `output_size` and `conv2d` with padding and stride (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises.checks import call_text, check_array, check_int, check_raises_value_error
from exercises.mistakes import (
    CONV2D_RULE,
    SAME_PADS,
    conv2d_mistakes,
    output_size_mistakes,
    uint8_mistakes,
    zero_pad_mistakes,
)


def _pads(n: int, k: int, padding, stride: int) -> tuple[int, int]:
    """Zeros (before, after) TensorFlow puts along one axis: the rule the exercise states."""
    if padding == "same":
        total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
        return total // 2, total - total // 2
    if padding == "full":
        return k - 1, k - 1
    p = 0 if padding == "valid" else padding
    return p, p


def _conv2d_mistakes(reference, image, kernel, padding, stride) -> list:
    """Answers of known conv2d bugs, each computed with the reference on explicitly padded images."""
    (height, width), (kh, kw) = image.shape, kernel.shape
    pads = (_pads(height, kh, padding, stride), _pads(width, kw, padding, stride))

    def padded_conv(pad_pairs, kern=kernel, step=stride):
        return reference.conv2d(reference.zero_pad(image, pad_pairs), kern, "valid", step)

    extra_before = []
    if padding == "same":  # the extra zero of an odd total before instead of after: on the rows, columns or both
        rows, cols = ((after, before) for before, after in pads)
        extra_before = [padded_conv(swapped) for swapped in ((rows, cols), (rows, pads[1]), (pads[0], cols))
                        if swapped != pads]
    mistakes = conv2d_mistakes(reference.conv2d(image, kernel, padding, stride),
                               flipped=padded_conv(pads, kern=kernel[::-1, ::-1]),
                               every_position=padded_conv(pads, step=1), extra_before=extra_before)
    if padding == "same":
        symmetric = tuple(((k - 1) // 2, (k - 1) // 2) for k in (kh, kw))
        mistakes.append((padded_conv(symmetric),
                         "'same' pads a total of max((ceil(n / s) - 1) * s + k - n, 0) zeros per axis; "
                         "(k - 1) // 2 on each side is right only for odd kernels and stride 1"))
    if padding == "full":
        mistakes.append((padded_conv(((kh // 2, kh // 2), (kw // 2, kw // 2))),
                         "'full' pads k - 1 zeros on every side (kh - 1 rows, kw - 1 columns), not k // 2"))
    if padding not in ("valid", "same", "full"):
        mistakes.append((padded_conv(((0, 0), (0, 0))), f"padding={padding} adds that many zeros on every side"))
    return mistakes


@pytest.mark.points(1)
def test_zero_pad_with_an_int_pads_all_four_sides(student, reference, rng):
    height, width, pad = int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(1, 4))
    # The int form is tried on a 2-D image and on a 3-D image, whose channel axis is never padded.
    for image in (rng.normal(size=(height, width)), rng.normal(size=(height, width, 3))):
        expected = reference.zero_pad(image, pad)
        check_array(student.zero_pad(image, pad), expected, call_text("zero_pad", image, pad),
                    mistakes=zero_pad_mistakes(image, pad))


@pytest.mark.points(1)
def test_zero_pad_with_pairs_pads_rows_and_columns_but_never_channels(student, reference, rng):
    image = rng.normal(size=(5, 4, 3))
    top, bottom, left, right = (int(v) for v in rng.permutation(4))  # four different sizes 0..3
    pad = ((top, bottom), (left, right))
    expected = reference.zero_pad(image, pad)
    check_array(student.zero_pad(image, pad), expected, call_text("zero_pad", image, pad),
                mistakes=zero_pad_mistakes(image, pad, swapped=reference.zero_pad(image, (pad[1], pad[0])),
                                           mixed=reference.zero_pad(image, ((top, left), (bottom, right)))))


@pytest.mark.points(1)
def test_output_size_follows_keras_for_valid_full_and_int_padding(student, reference, rng):
    for padding in ("valid", "full", int(rng.integers(1, 4))):
        n, stride = int(rng.integers(8, 40)), int(rng.integers(1, 4))
        k = int(rng.integers(2, 8))
        expected = reference.output_size(n, k, padding, stride)
        check_int(student.output_size(n, k, padding, stride), expected,
                  call_text("output_size", n, k, padding, stride),
                  hint="output = floor((n + 2p - k) / s) + 1, with p = 0 for 'valid' and k - 1 for 'full'",
                  mistakes=output_size_mistakes(n, k, padding, stride))


@pytest.mark.points(1)
def test_output_size_with_same_padding_is_the_ceiling_of_n_over_stride(student, reference, rng):
    for stride in (1, 2, 3):
        # A remainder of 1 (for strides 2 and 3) tells ceil from floor and from round.
        n = int(rng.integers(5, 40)) * stride + (stride > 1)
        k = int(rng.integers(1, 8))
        expected = reference.output_size(n, k, "same", stride)
        check_int(student.output_size(n, k, "same", stride), expected,
                  call_text("output_size", n, k, "same", stride),
                  mistakes=output_size_mistakes(n, k, "same", stride))


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernel_shape, padding, stride", [
    pytest.param((9, 7), (3, 3), "valid", 1, id="H9-W7-k3x3-s1-valid-uint8"),
    pytest.param((8, 11), (4, 2), "same", 1, id="H8-W11-k4x2-s1-same"),
    pytest.param((10, 9), (3, 3), "same", 2, id="H10-W9-k3x3-s2-same"),
    pytest.param((7, 8), (2, 3), "full", 3, id="H7-W8-k2x3-s3-full"),
    pytest.param((9, 10), (3, 4), 1, 2, id="H9-W10-k3x4-s2-pad1"),
])
def test_conv2d_matches_the_reference(student, reference, rng, shape, kernel_shape, padding, stride):
    uint8 = padding == "valid"
    if uint8:  # whose products wrap around at 256 unless computed in float
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        kernel = rng.integers(0, 5, size=kernel_shape, dtype=np.uint8)
    else:
        image = rng.normal(size=shape)
        kernel = rng.normal(size=kernel_shape)
    expected = reference.conv2d(image, kernel, padding, stride)
    mistakes = _conv2d_mistakes(reference, image, kernel, padding, stride)
    if uint8:
        windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)[::stride, ::stride]
        mistakes += uint8_mistakes(expected, wrapped_products=(windows * kernel).sum(axis=(2, 3)))  # uint8 wraps
    check_array(student.conv2d(image, kernel, padding, stride), expected,
                call_text("conv2d", image, kernel, padding=padding, stride=stride),
                mistakes=mistakes, hint=SAME_PADS if padding == "same" else CONV2D_RULE)


@pytest.mark.points(1)
def test_conv2d_rejects_unknown_padding_bad_strides_and_oversized_kernels(student, rng):
    image = rng.normal(size=(int(rng.integers(4, 8)), int(rng.integers(4, 8))))
    kernel = rng.normal(size=(3, 3))
    cases = [
        (dict(padding="mirror", stride=1), "padding is not 'valid', 'same', 'full' or an int >= 0"),
        (dict(padding="same", stride=0), "stride is not an int >= 1"),
        (dict(padding="valid", stride=-2), "stride is not an int >= 1"),
    ]
    for kwargs, rule in cases:
        check_raises_value_error(lambda kw=kwargs: student.conv2d(image, kernel, **kw),
                                 call_text("conv2d", image, kernel, **kwargs), rule=rule,
                                 valid_call=lambda: student.conv2d(image, kernel, padding="same", stride=1),
                                 valid_what=call_text("conv2d", image, kernel, padding="same", stride=1))
    big = rng.normal(size=(image.shape[0] + 1, 2))
    check_raises_value_error(lambda: student.conv2d(image, big, padding="valid"),
                             call_text("conv2d", image, big, padding="valid"),
                             rule="the kernel is larger than the (padded) image")
