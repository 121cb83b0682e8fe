"""Exercise 3: a convolutional layer makes a stack of feature maps.

One kernel gives one feature map. A convolutional layer holds K kernels and stacks their K maps on the last
axis, as channels: a 28x28 image with four 3x3 kernels and "same" padding becomes a 28x28x4 array. When the
input itself has C channels (RGB, or the maps of a previous layer), each kernel has one kh x kw slice per
input channel, and a feature map is the sum of the C per-channel correlations. Then each map gets its own
bias, and an activation function (ReLU keeps the positive responses, sets the rest to 0).

This is exactly what keras.layers.Conv2D(K, (kh, kw), padding=..., activation=...) computes, with its
weights laid out the same way: kernels of shape (kh, kw, C, K) and a bias of shape (K,).

Write these functions with numpy alone: the grader refuses scipy.signal, scipy.ndimage,
TensorFlow/Keras and np.convolve / np.correlate, which would do the work for you.
"""

from __future__ import annotations

import numpy as np


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit: max(x, 0) elementwise.

    Arguments:
        x: array of any shape and any real dtype.

    Returns:
        float64 array of the same shape: x where x > 0, else 0. The input is not modified.

    Example:
        >>> relu(np.array([-2, 0, 3], dtype=np.int8))
        array([0., 0., 3.])
    """
    # BEGIN SOLUTION
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    # END SOLUTION


def feature_maps(
    image: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    padding: str = "same",
    activation: str | None = None,
) -> np.ndarray:
    """The K feature maps of one convolutional layer (stride 1), stacked on the last axis like Keras.

    Arguments:
        image: array of shape (H, W) (one channel) or (H, W, C), any real dtype.
        kernels: array of shape (kh, kw, K) for an (H, W) image, or (kh, kw, C, K) for an (H, W, C)
            image (the same C). kernels[..., k] is the k-th kernel. Any real dtype.
        bias: None (no bias) or an array of shape (K,): bias[k] is added to every value of map k.
        padding: "same" (zero padding as TensorFlow: kh - 1 rows in total, (kh - 1) // 2 on top and the
            rest at the bottom; likewise for columns) or "valid" (no padding).
        activation: None, "relu", "sigmoid" (1 / (1 + exp(-z))) or "tanh", applied after the bias.

    Returns:
        float64 array `out` of shape (H', W', K): channels last, never (K, H', W'); H' = H and W' = W for
        "same", H - kh + 1 and W - kw + 1 for "valid". Before the bias and activation,

            out[i, j, k] = sum over a, b, c of padded[i + a, j + b, c] * kernels[a, b, c, k]

        that is, map k is the sum over the input channels c of the 2-D cross-correlations of channel c
        with kernels[:, :, c, k] (no kernel flip). No input is modified.
        Example: a 28x28 image with four 3x3 kernels (shape (3, 3, 4)) gives a (28, 28, 4) array.

    Raises:
        ValueError: if `image` is not 2-D or 3-D; if `kernels` does not have the matching shape
            ((kh, kw, K) for a 2-D image, (kh, kw, C, K) with the image's C for a 3-D image) or is empty;
            if `bias` is not of shape (K,); if `padding` or `activation` is unknown; or if the kernel is
            larger than the image with "valid" padding.
    """
    # BEGIN SOLUTION
    image = np.asarray(image, dtype=np.float64)
    kernels = np.asarray(kernels, dtype=np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    if kernels.ndim != image.ndim + 1:
        raise ValueError(f"kernels must be (kh, kw, K) for an (H, W) image and (kh, kw, C, K) for an "
                         f"(H, W, C) image; got image {image.shape} and kernels {kernels.shape}")
    if kernels.size == 0:
        raise ValueError(f"kernels must not be empty, got shape {kernels.shape}")
    if image.ndim == 2:
        image, kernels = image[:, :, np.newaxis], kernels[:, :, np.newaxis, :]  # one channel: C = 1
    if kernels.shape[2] != image.shape[2]:
        raise ValueError(f"kernels {kernels.shape} have {kernels.shape[2]} input channels but image "
                         f"{image.shape} has {image.shape[2]}: kernels must be (kh, kw, C, K)")
    kh, kw, _, count = kernels.shape
    if bias is not None and np.shape(bias) != (count,):
        raise ValueError(f"bias must have shape (K,) = ({count},), got shape {np.shape(bias)}")
    if activation not in (None, "relu", "sigmoid", "tanh"):
        raise ValueError(f"activation must be None, 'relu', 'sigmoid' or 'tanh', got {activation!r}")
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        image = np.pad(image, ((top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
    elif padding != "valid":
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError(f"kernels {kernels.shape} are larger than image {image.shape} with 'valid' padding")
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w, count))
    for a in range(kh):
        for b in range(kw):
            # (out_h, out_w, C) @ (C, K): every kernel's weights at offset (a, b), summed over channels.
            out += image[a:a + out_h, b:b + out_w, :] @ kernels[a, b]  # (out_h, out_w, K)
    if bias is not None:
        out += np.asarray(bias, dtype=np.float64)  # broadcast over (out_h, out_w)
    if activation == "relu":
        out = relu(out)
    elif activation == "sigmoid":
        out = 0.5 * (1.0 + np.tanh(0.5 * out))  # equals 1 / (1 + exp(-z)) and never overflows
    elif activation == "tanh":
        out = np.tanh(out)
    return out
    # END SOLUTION
