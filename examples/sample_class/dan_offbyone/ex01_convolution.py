"""Dan's convolution: the lesson loop copied as it was, `range(H - 2)`, which suits only 3x3 kernels."""

import numpy as np


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    h, w = image.shape
    kh, kw = kernel.shape
    out = np.zeros((h - 2, w - 2))
    for i in range(h - 2):
        for j in range(w - 2):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def convolve2d(image, kernel):
    return correlate2d(image, np.asarray(kernel)[::-1, ::-1])
