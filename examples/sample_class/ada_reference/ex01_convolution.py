"""Ada's convolution: every kernel-sized window at once with sliding_window_view, then one einsum."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must both be 2-D")
    if kernel.size == 0 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("kernel must be non-empty and no larger than the image")


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    _check(image, kernel)
    windows = sliding_window_view(image, kernel.shape)  # (H-kh+1, W-kw+1, kh, kw)
    return np.einsum("ijab,ab->ij", windows, kernel)


def convolve2d(image, kernel):
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError("kernel must be 2-D")
    return correlate2d(image, np.flip(kernel))
