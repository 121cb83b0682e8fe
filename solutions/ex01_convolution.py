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

# BEGIN SOLUTION
#: Output rows computed together by `correlate2d`; 64 rows of a 512-pixel-wide float64 image fit in cache.
STRIP_ROWS = 64
# END SOLUTION

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
    # BEGIN SOLUTION
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kh, kw), got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"kernel must have at least one row and one column, got shape {kernel.shape}")
    (height, width), (kh, kw) = image.shape, kernel.shape
    if kh > height or kw > width:
        raise ValueError(f"kernel {kernel.shape} is larger than image {image.shape}: "
                         "a 'valid' correlation needs kh <= H and kw <= W")
    out_h, out_w = height - kh + 1, width - kw + 1
    out = np.zeros((out_h, out_w))
    product = np.empty((min(STRIP_ROWS, out_h), out_w))
    # Work on strips of output rows so that each strip and its products stay in the CPU cache while all
    # kh * kw offsets are added to it; on large images this is several times faster than whole-image passes.
    for top in range(0, out_h, STRIP_ROWS):
        rows = min(STRIP_ROWS, out_h - top)
        for a in range(kh):
            for b in range(kw):
                # Kernel weight (a, b) meets image[i + a, j + b] at output (i, j): one shifted slice.
                np.multiply(image[top + a:top + a + rows, b:b + out_w], kernel[a, b], out=product[:rows])
                out[top:top + rows] += product[:rows]  # (rows, out_w)
    return out
    # END SOLUTION


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
    # BEGIN SOLUTION
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kh, kw), got shape {kernel.shape}")
    return correlate2d(image, kernel[::-1, ::-1])
    # END SOLUTION
