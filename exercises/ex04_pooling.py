"""Exercise 4: pooling shrinks feature maps and keeps what matters.

After a convolution, neighbouring outputs say nearly the same thing. Pooling cuts the map into small
windows and keeps one number per window: the largest (max pooling: "did the feature appear anywhere
here?") or the mean (average pooling, as in the original LeNet-5). A 2x2 pool with stride 2 halves the
height and the width, so a 28x28x6 stack of maps becomes 14x14x6. Each channel is pooled on its own;
pooling never mixes channels and has no weights to learn.

Windows are 'valid': a window that would stick out of the map is dropped, so along an axis of length n a
pool of size p with stride s gives floor((n - p) / s) + 1 outputs (a 5x5 map with a 2x2 pool gives 2x2:
the last row and column are dropped). This is what keras.layers.MaxPooling2D and AveragePooling2D do.

Write these functions with numpy alone: the grader refuses scipy.signal, scipy.ndimage,
TensorFlow/Keras and np.convolve / np.correlate, which would do the work for you.
"""

from __future__ import annotations

import numpy as np


def max_pool2d(x: np.ndarray, pool_size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling over pool_size x pool_size windows ('valid'), each channel on its own.

    Arguments:
        x: array of shape (H, W) or (H, W, C), any real dtype; pool_size <= H and pool_size <= W.
        pool_size: p, an int >= 1, the side of the square window.
        stride: s, an int >= 1, or None for s = p (windows side by side, not overlapping).

    Returns:
        float64 array of shape (H', W') or (H', W', C), with H' = floor((H - p) / s) + 1 and
        W' = floor((W - p) / s) + 1, where

            out[i, j, c] = max over a < p, b < p of x[i * s + a, j * s + b, c]

        The channel axis stays last and is never pooled. The input is not modified.

    Raises:
        ValueError: if `x` is not 2-D or 3-D, if `pool_size` or `stride` is not an int >= 1, or if
            the window is larger than x's height or width.

    Example:
        >>> max_pool2d(np.array([[1, 2, 0, 0], [3, 4, 0, 8], [0, 0, 5, 6], [0, 1, 7, 0]], dtype=np.uint8))
        array([[4., 8.],
               [1., 7.]])
    """
    raise NotImplementedError("max_pool2d is not implemented yet: write it where this line stands")


def average_pool2d(x: np.ndarray, pool_size: int = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling over pool_size x pool_size windows ('valid'), each channel on its own.

    Arguments and shapes are those of `max_pool2d`; the window's mean replaces its maximum:

            out[i, j, c] = (1 / p**2) * sum over a < p, b < p of x[i * s + a, j * s + b, c]

    Returns a float64 array (the mean of uint8 values is rarely a whole number). The input is not
    modified. Raises ValueError in the same cases as `max_pool2d`.

    Example:
        >>> average_pool2d(np.array([[1, 2, 0, 0], [3, 4, 0, 8], [0, 0, 5, 6], [0, 1, 7, 0]], dtype=np.uint8))
        array([[2.5 , 2.  ],
               [0.25, 4.5 ]])
    """
    raise NotImplementedError("average_pool2d is not implemented yet: write it where this line stands")
