"""Ada's feature maps: pad once, then one einsum over every window, channel and kernel."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ACTIVATIONS = {
    None: lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def _pads(n, k, padding):
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return k - 1, k - 1
    if padding == "same":
        total = k - 1
        return total // 2, total - total // 2
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        return padding, padding
    raise ValueError(f"unknown padding {padding!r}")


def feature_maps(image, kernels, bias=None, padding="same", activation=None):
    image = np.asarray(image, dtype=float)
    kernels = np.asarray(kernels, dtype=float)
    if image.ndim == 2 and kernels.ndim == 3:
        image, kernels = image[:, :, None], kernels[:, :, None, :]
    if image.ndim != 3 or kernels.ndim != 4 or image.shape[2] != kernels.shape[2]:
        raise ValueError("use (H, W) with (kh, kw, K) or (H, W, C) with (kh, kw, C, K)")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    kh, kw, _, k = kernels.shape
    bias = np.zeros(k) if bias is None else np.asarray(bias, dtype=float)
    if bias.shape != (k,):
        raise ValueError("bias must have shape (K,)")
    (top, bottom), (left, right) = _pads(image.shape[0], kh, padding), _pads(image.shape[1], kw, padding)
    padded = np.pad(image, ((top, bottom), (left, right), (0, 0)))
    if padded.shape[0] < kh or padded.shape[1] < kw:
        raise ValueError("kernel larger than the image")
    windows = sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (H', W', C, kh, kw)
    return ACTIVATIONS[activation](np.einsum("ijcab,abck->ijk", windows, kernels) + bias)


