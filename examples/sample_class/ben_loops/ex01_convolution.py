"""Ben's convolution: the lesson's double loop over output pixels, with the range fixed; float32 output."""

import numpy as np


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.size == 0:
        raise ValueError("image and kernel must be 2-D and the kernel non-empty")
    h, w = image.shape
    kh, kw = kernel.shape
    if kh > h or kw > w:
        raise ValueError("kernel larger than image")
    out = np.zeros((h - kh + 1, w - kw + 1), dtype=np.float32)
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def convolve2d(image, kernel):
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError("kernel must be 2-D")
    return correlate2d(image, kernel[::-1, ::-1])
