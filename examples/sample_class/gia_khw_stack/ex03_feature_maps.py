"""Gia's feature maps: one 'same' correlation per kernel, stacked along the first axis: (K, H, W)."""

import numpy as np


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def feature_maps(image, kernels, bias=None, padding="same", activation=None):
    image = np.asarray(image, dtype=float)
    kernels = np.asarray(kernels, dtype=float)
    if image.ndim == 2:
        image, kernels = image[:, :, None], kernels[:, :, None, :]
    kh, kw, channels, k = kernels.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(image, ((top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
    h, w = image.shape[:2]
    maps = []
    for n in range(k):
        out = np.zeros((h, w))
        for a in range(kh):
            for b in range(kw):
                out += padded[a:a + h, b:b + w, :] @ kernels[a, b, :, n]
        if bias is not None:
            out += bias[n]
        maps.append(relu(out) if activation == "relu" else out)
    return np.stack(maps)
