"""Eve's convolution: correct correlation, but convolve2d forgets to flip the kernel."""

import numpy as np


def correlate2d(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.size == 0:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    if oh < 1 or ow < 1:
        raise ValueError("kernel larger than image")
    out = np.zeros((oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + oh, b:b + ow]
    return out


def convolve2d(image, kernel):
    return correlate2d(image, kernel)
