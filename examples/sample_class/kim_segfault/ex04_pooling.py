"""Kim's pooling: max_pool2d reads memory through a null pointer and crashes the interpreter."""

import ctypes

import numpy as np


def max_pool2d(x, pool_size=2, stride=None):
    ctypes.string_at(0)
    return np.asarray(x, dtype=float)


def average_pool2d(x, pool_size=2, stride=None):
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3):
        raise ValueError("x must be (H, W) or (H, W, C)")
    stride = pool_size if stride is None else stride
    if pool_size < 1 or stride < 1 or pool_size > min(x.shape[:2]):
        raise ValueError("bad pool_size or stride")
    h = (x.shape[0] - pool_size) // stride + 1
    w = (x.shape[1] - pool_size) // stride + 1
    out = np.zeros((h, w) + x.shape[2:])
    for i in range(h):
        for j in range(w):
            window = x[i * stride:i * stride + pool_size, j * stride:j * stride + pool_size]
            out[i, j] = window.mean(axis=(0, 1))
    return out
