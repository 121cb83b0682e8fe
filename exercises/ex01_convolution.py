"""Exercise 1: convolution, the sliding dot product.

A convolutional layer slides a small grid of weights, the kernel, over the image. At every position it
multiplies the pixels under the kernel by the kernel's weights and adds the products up: one number per
position, and together these numbers form a new image, the feature map. A kernel such as
[[-1, 1], [-1, 1]] answers "is it brighter on the right than on the left here?", so its feature map
lights up along vertical edges.

Deep-learning libraries call this operation convolution, but what they compute is cross-correlation: the
kernel is used as it is. The convolution of mathematics and signal processing first flips the kernel on
both axes. For a learned kernel the difference does not matter (the network learns the flipped weights),
but for a kernel you write down by hand it does: flipping the edge kernel above turns bright-on-the-right
into bright-on-the-left.

Both functions here compute the 'valid' result: the kernel stays entirely inside the image, so an
H x W image and a kh x kw kernel give (H - kh + 1) x (W - kw + 1) outputs.

Write these functions with numpy alone: the grader refuses scipy.signal, scipy.ndimage,
TensorFlow/Keras and np.convolve / np.correlate, which would do the work for you.
"""

from __future__ import annotations

import numpy as np


def correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """2-D 'valid' cross-correlation of one image with one kernel (what Keras' Conv2D computes).

    Arguments:
        image: array of shape (H, W), any real dtype (uint8 images included).
        kernel: array of shape (kh, kw), any real dtype, with 1 <= kh <= H and 1 <= kw <= W.

    Returns:
        float64 array `out` of shape (H - kh + 1, W - kw + 1) where

            out[i, j] = sum over a < kh, b < kw of image[i + a, j + b] * kernel[a, b]

        The output is float64 whatever the input dtypes (never uint8: uint8 sums wrap around at 256).
        Neither input is modified.

    Raises:
        ValueError: if `image` or `kernel` is not 2-D, if `kernel` is empty, or if the kernel is larger
            than the image on either axis.

    Mind the output size. The lesson loop `for i in range(H - 2)` is right for a 3x3 kernel only: with a
    2x2 kernel it leaves the last row unfilled. There are H - kh + 1 rows and W - kw + 1 columns.

    Example: the edge kernel lights up where a dark left half meets a bright right half.

        >>> image = np.array([[0, 0, 9, 9]] * 4, dtype=np.uint8)
        >>> correlate2d(image, np.array([[-1, 1], [-1, 1]]))
        array([[ 0., 18.,  0.],
               [ 0., 18.,  0.],
               [ 0., 18.,  0.]])

    Speed: a double loop over output pixels takes about a second on a 512x512 image. Loop over the
    kh * kw kernel offsets instead: for each offset (a, b), add kernel[a, b] times the image slice that
    offset shifts under the output. That is a few milliseconds.
    """
    raise NotImplementedError("correlate2d is not implemented yet: write it where this line stands")


def convolve2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """2-D 'valid' true convolution: flip the kernel on both axes, then cross-correlate.

    Arguments:
        image: array of shape (H, W), any real dtype (uint8 images included).
        kernel: array of shape (kh, kw), any real dtype, with 1 <= kh <= H and 1 <= kw <= W.

    Returns:
        float64 array `out` of shape (H - kh + 1, W - kw + 1) where

            out[i, j] = sum over a < kh, b < kw of image[i + a, j + b] * kernel[kh - 1 - a, kw - 1 - b]

        Flip both axes (up-down and left-right; `kernel[::-1, ::-1]`), not just one, and do not
        transpose. Neither input is modified (build the flipped kernel as a new array or view).
        The output is float64 whatever the input dtypes.

    Raises:
        ValueError: the same cases as `correlate2d`.

    Example: flipping the edge kernel turns "brighter on the right" into "brighter on the left", so the
    edge that gave +18 with `correlate2d` gives -18 here.

        >>> image = np.array([[0, 0, 9, 9]] * 4, dtype=np.uint8)
        >>> convolve2d(image, np.array([[-1, 1], [-1, 1]]))
        array([[  0., -18.,   0.],
               [  0., -18.,   0.],
               [  0., -18.,   0.]])
    """
    raise NotImplementedError("convolve2d is not implemented yet: write it where this line stands")
