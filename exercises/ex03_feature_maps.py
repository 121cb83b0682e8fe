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
    raise NotImplementedError("relu is not implemented yet: write it where this line stands")


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
    raise NotImplementedError("feature_maps is not implemented yet: write it where this line stands")
