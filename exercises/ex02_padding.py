"""Exercise 2: padding and stride, and the size of what comes out.

A 'valid' correlation shrinks the image: a 3x3 kernel loses a border of one pixel, and after a few layers
little is left. Padding surrounds the image with zeros first, so the kernel can also be centred on the
border pixels. Stride moves the kernel by more than one pixel at a time, so the output shrinks on purpose.

Along one axis of length n, with a kernel of size k and stride s, Keras and TensorFlow give

    padding="valid"   no zeros                       output floor((n - k) / s) + 1
    padding="same"    as many zeros as ceil(n / s)   output ceil(n / s)
                      outputs need; an odd total puts
                      the extra zero at the bottom/right
    padding="full"    k - 1 zeros on each side       output floor((n + k - 2) / s) + 1
    padding=p (int)   p zeros on each side           output floor((n + 2p - k) / s) + 1

With stride 1, "same" keeps the size: a 28x28 image stays 28x28.

Write these functions with numpy alone: the grader refuses scipy.signal, scipy.ndimage,
TensorFlow/Keras and np.convolve / np.correlate, which would do the work for you.
"""

from __future__ import annotations

import numpy as np


def zero_pad(image: np.ndarray, pad: int | tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """Surround an image with zeros on the two spatial axes (never on the channel axis).

    Arguments:
        image: array of shape (H, W) or (H, W, C), any real dtype.
        pad: an int p >= 0 (p zeros on all four sides), or ((top, bottom), (left, right)) of ints >= 0.

    Returns:
        float64 array of shape (H + top + bottom, W + left + right), or (..., C) for a (H, W, C) image,
        whose interior out[top:top + H, left:left + W] equals the image and whose border is 0.
        The channel axis keeps its C channels. The input is not modified.

    Raises:
        ValueError: if `image` is not 2-D or 3-D, or if `pad` is not an int or a pair of (before, after)
            pairs, or if any pad size is negative or not an int.

    Example:
        >>> zero_pad(np.array([[1, 2], [3, 4]], dtype=np.uint8), ((0, 1), (1, 0)))
        array([[0., 1., 2.],
               [0., 3., 4.],
               [0., 0., 0.]])
    """
    raise NotImplementedError("zero_pad is not implemented yet: write it where this line stands")


def output_size(input_size: int, kernel_size: int, padding: str | int = "valid", stride: int = 1) -> int:
    """Length of a convolution's output along one axis (Keras / TensorFlow semantics).

    Arguments:
        input_size: n, the input length (H or W), an int >= 1.
        kernel_size: k, the kernel length (kh or kw), an int >= 1.
        padding: "valid", "same", "full", or an int p >= 0 (p zeros on each side).
        stride: s, an int >= 1.

    Returns:
        int:  "valid" -> floor((n - k) / s) + 1       "same" -> ceil(n / s)
              "full"  -> floor((n + k - 2) / s) + 1   p      -> floor((n + 2p - k) / s) + 1
        Examples: output_size(28, 3, "same") == 28; output_size(28, 5) == 24;
        output_size(5, 2, "valid", 2) == 2; output_size(5, 3, "full") == 7.

    Raises:
        ValueError: if a size or the stride is not an int >= 1, if `padding` is not one of the above,
            or if the kernel is longer than the padded input ("valid" or an int padding), since then
            there is no output at all.
    """
    raise NotImplementedError("output_size is not implemented yet: write it where this line stands")


def conv2d(image: np.ndarray, kernel: np.ndarray, padding: str | int = "valid",
           stride: int = 1) -> np.ndarray:
    """2-D cross-correlation with zero padding and stride (one image, one kernel, like Keras' Conv2D).

    Arguments:
        image: array of shape (H, W), any real dtype.
        kernel: array of shape (kh, kw), any real dtype, not empty.
        padding: "valid", "same", "full" or an int p >= 0, as in `output_size`:
            "same" pads a total of max((ceil(n / s) - 1) * s + k - n, 0) zeros along each axis, total // 2
            before (top/left) and the rest after (bottom/right), exactly as TensorFlow does;
            "full" pads k - 1 zeros on every side; an int p pads p zeros on every side.
        stride: s, an int >= 1, the step between two kernel positions on both axes.

    Returns:
        float64 array `out` of shape (output_size(H, kh, padding, s), output_size(W, kw, padding, s)):

            out[i, j] = sum over a < kh, b < kw of padded[i * s + a, j * s + b] * kernel[a, b]

        where `padded` is the zero-padded image. Neither input is modified.
        Example: a 28x28 image with a 3x3 kernel gives 28x28 with "same", 26x26 with "valid",
        30x30 with "full" and 14x14 with "same" and stride 2.

    Raises:
        ValueError: if `image` or `kernel` is not 2-D or the kernel is empty, if `padding` or `stride` is
            invalid, or if the kernel is larger than the padded image.
    """
    raise NotImplementedError("conv2d is not implemented yet: write it where this line stands")
