"""Ada's padding and strided convolution."""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(image, pad):
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError("image must be (H, W) or (H, W, C)")
    if isinstance(pad, (int, np.integer)):
        pad = ((pad, pad), (pad, pad))
    (top, bottom), (left, right) = pad
    if min(top, bottom, left, right) < 0:
        raise ValueError("pad must not be negative")
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image.astype(float), widths)


def _pads(n, k, padding, stride):
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return k - 1, k - 1
    if padding == "same":
        total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        return int(padding), int(padding)
    raise ValueError(f"padding must be 'valid', 'same', 'full' or an int >= 0, got {padding!r}")


def output_size(input_size, kernel_size, padding="valid", stride=1):
    if input_size < 1 or kernel_size < 1 or stride < 1:
        raise ValueError("sizes and stride must be positive")
    if padding == "same":
        return math.ceil(input_size / stride)
    before, after = _pads(input_size, kernel_size, padding, stride)
    if input_size + before + after < kernel_size:
        raise ValueError("kernel larger than the padded input")
    return (input_size + before + after - kernel_size) // stride + 1


def conv2d(image, kernel, padding="valid", stride=1):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must both be 2-D")
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError("stride must be an int >= 1")
    (h, w), (kh, kw) = image.shape, kernel.shape
    padded = zero_pad(image, (_pads(h, kh, padding, stride), _pads(w, kw, padding, stride)))
    if kh > padded.shape[0] or kw > padded.shape[1] or kernel.size == 0:
        raise ValueError("kernel larger than the padded image")
    windows = sliding_window_view(padded, (kh, kw))[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, kernel)
