"""Ada's pooling: windows from sliding_window_view, then max or mean over the window axes."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(x, pool_size, stride):
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3):
        raise ValueError("x must be (H, W) or (H, W, C)")
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(x.shape[0], x.shape[1]):
        raise ValueError("pool_size and stride must be >= 1 and the window must fit")
    return sliding_window_view(x, (pool_size, pool_size), axis=(0, 1))[::stride, ::stride]


def max_pool2d(x, pool_size=2, stride=None):
    return _windows(x, pool_size, stride).max(axis=(-2, -1))


def average_pool2d(x, pool_size=2, stride=None):
    return _windows(x, pool_size, stride).mean(axis=(-2, -1))
