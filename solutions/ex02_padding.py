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
    # BEGIN SOLUTION
    image = np.asarray(image, dtype=np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    if isinstance(pad, (int, np.integer)):
        pad = ((pad, pad), (pad, pad))
    try:
        (top, bottom), (left, right) = pad
    except (TypeError, ValueError):
        raise ValueError(f"pad must be an int or ((top, bottom), (left, right)), got {pad!r}") from None
    for size in (top, bottom, left, right):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"pad sizes must be ints >= 0, got pad={pad!r}")
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)  # never pad the channels
    return np.pad(image, widths)
    # END SOLUTION


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
    # BEGIN SOLUTION
    for name, value in (("input_size", input_size), ("kernel_size", kernel_size), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    n, k, s = int(input_size), int(kernel_size), int(stride)
    if isinstance(padding, str):
        if padding == "same":
            return -(-n // s)  # ceil(n / s) in integer arithmetic
        if padding == "full":
            return (n + k - 2) // s + 1
        if padding != "valid":
            raise ValueError(f"padding must be 'valid', 'same', 'full' or an int >= 0, got {padding!r}")
        padding = 0
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be 'valid', 'same', 'full' or an int >= 0, got {padding!r}")
    if k > n + 2 * padding:
        raise ValueError(f"kernel_size {k} is larger than the input: input_size {n} plus padding "
                         f"{padding} on each side; use a smaller kernel or padding='same'")
    return (n + 2 * int(padding) - k) // s + 1
    # END SOLUTION


# BEGIN SOLUTION
def _pads(n: int, k: int, padding: str | int, stride: int) -> tuple[int, int]:
    """Zeros (before, after) along one axis, as TensorFlow pads it."""
    if padding == "same":
        total = max((-(-n // stride) - 1) * stride + k - n, 0)
        return total // 2, total - total // 2  # an odd total puts the extra zero after
    if padding == "full":
        return k - 1, k - 1
    p = 0 if padding == "valid" else int(padding)
    return p, p
# END SOLUTION


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
    # BEGIN SOLUTION
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(f"kernel must be 2-D (kh, kw) and not empty, got shape {kernel.shape}")
    (height, width), (kh, kw) = image.shape, kernel.shape
    # output_size checks padding and stride, and that the kernel fits in the padded image.
    out_h, out_w = output_size(height, kh, padding, stride), output_size(width, kw, padding, stride)
    padded = zero_pad(image, (_pads(height, kh, padding, stride), _pads(width, kw, padding, stride)))
    last_h, last_w = (out_h - 1) * stride + 1, (out_w - 1) * stride + 1  # span of the window corners
    out = np.zeros((out_h, out_w))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[a:a + last_h:stride, b:b + last_w:stride]  # (out_h, out_w)
    return out
    # END SOLUTION
