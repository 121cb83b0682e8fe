"""Exercise 5: counting parameters, or why convolutions share weights.

A dense unit looking at a 28x28 image needs one weight per pixel: 784 weights, for one unit. A
convolutional layer reuses the same small kernel at every position, so four 3x3 kernels need only
4 * 3 * 3 = 36 weights (40 with one bias per kernel), whatever the size of the image. On an RGB image each
kernel has a 3x3 slice per channel: three times the weights, 108 (112 with biases).

    Conv2D:  kh * kw * C_in * filters weights, plus filters biases
    Dense:   in_features * units weights,      plus units biases
    pooling, flatten: no parameters (they only change the shape)

Counting a whole network means following the shape from layer to layer: the number of weights of a dense
layer after Flatten depends on the height, width and channels that reach it. LeNet-5 on 28x28 images has
61,706 parameters, and more than three quarters of them sit in the first dense layer.

Count with plain Python arithmetic: the grader refuses TensorFlow/Keras imports in this exercise.
"""

from __future__ import annotations

# BEGIN SOLUTION
import math
from numbers import Integral


def _positive_int(value, name: str) -> int:
    """value as an int, if it is an int >= 1 (numpy integers included, bools not)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _pair(value, name: str) -> tuple[int, int]:
    """An int n as (n, n), or a pair of ints, each >= 1."""
    pair = (value, value) if isinstance(value, Integral) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{name} must be an int >= 1 or a pair of them, got {value!r}")
    return _positive_int(pair[0], name), _positive_int(pair[1], name)


def _length(n: int, k: int, s: int, padding: str) -> int:
    """Output length along one axis, as Keras computes it for 'valid' and 'same' padding."""
    if padding == "same":
        return -(-n // s)  # ceil(n / s)
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    if k > n:
        raise ValueError(f"a window of size {k} is larger than its input ({n}) with 'valid' padding")
    return (n - k) // s + 1
# END SOLUTION


def conv2d_params(kernel_size: int | tuple[int, int], in_channels: int, filters: int,
                  use_bias: bool = True) -> int:
    """Number of trainable parameters of a Conv2D layer: weights, plus one bias per filter.

    Arguments:
        kernel_size: k (a k x k kernel) or (kh, kw), ints >= 1.
        in_channels: C, the number of input channels (1 for grey images, 3 for RGB), an int >= 1.
        filters: K, the number of kernels (= output channels), an int >= 1.
        use_bias: whether each filter has a bias (Keras' default: True).

    Returns:
        int: kh * kw * C * K, plus K if use_bias. The image size does not appear: weights are shared.
        Examples: conv2d_params(3, 1, 4) == 40 and conv2d_params(3, 1, 4, use_bias=False) == 36;
        conv2d_params(3, 3, 4, use_bias=False) == 108 (RGB); conv2d_params(5, 1, 6) == 156.

    Raises:
        ValueError: if a size is not an int >= 1 (kernel_size also as a pair).
    """
    # BEGIN SOLUTION
    kh, kw = _pair(kernel_size, "kernel_size")
    channels = _positive_int(in_channels, "in_channels")
    count = _positive_int(filters, "filters")
    return kh * kw * channels * count + (count if use_bias else 0)
    # END SOLUTION


def dense_params(in_features: int, units: int, use_bias: bool = True) -> int:
    """Number of trainable parameters of a Dense (fully connected) layer.

    Arguments:
        in_features: the length of the input vector (28 * 28 = 784 for a flattened MNIST image), int >= 1.
        units: the number of output units, an int >= 1.
        use_bias: whether each unit has a bias (Keras' default: True).

    Returns:
        int: in_features * units, plus units if use_bias.
        Examples: dense_params(784, 1, use_bias=False) == 784 (one unit on a 28x28 image, compare with
        36 for four 3x3 kernels); dense_params(400, 120) == 48120 (LeNet-5's first dense layer).

    Raises:
        ValueError: if in_features or units is not an int >= 1.
    """
    # BEGIN SOLUTION
    inputs = _positive_int(in_features, "in_features")
    count = _positive_int(units, "units")
    return inputs * count + (count if use_bias else 0)
    # END SOLUTION


def count_params(layers: list[dict], input_shape: tuple[int, ...]) -> int:
    """Total trainable parameters of a sequential network, equal to keras' model.count_params().

    Arguments:
        layers: list of dicts, one per layer, applied in order. Each has a "type" and the keys below
            (defaults in brackets are Keras' defaults):
              {"type": "conv2d", "filters": K, "kernel_size": k or (kh, kw), "strides": [1],
               "padding": ["valid"] or "same", "use_bias": [True]}
              {"type": "max_pool2d" or "average_pool2d", "pool_size": [2] (int or pair),
               "strides": [pool_size], "padding": ["valid"] or "same"}
              {"type": "flatten"}
              {"type": "dense", "units": n, "use_bias": [True]}  (on a (H, W, C) input, Dense acts on
               the last axis, as in Keras)
        input_shape: shape of one input without the batch axis, e.g. (28, 28, 1): (H, W, C).

    Returns:
        int, the sum over layers of conv2d_params / dense_params, where each layer's input shape is the
        previous layer's output shape: conv and pooling give H' = floor((H - k) / s) + 1 for "valid" and
        ceil(H / s) for "same" (same for W), with C' = filters after a conv; flatten gives (H * W * C,).

    Raises:
        ValueError: if a layer's type is unknown, a required key is missing, a size is not valid, a conv or
            pooling layer gets an input that is not (H, W, C), or a window is larger than its input.

    Example: LeNet-5 on MNIST. The shapes go (28, 28, 1) -> (28, 28, 6) -> (14, 14, 6) -> (10, 10, 16)
    -> (5, 5, 16) -> (400,) -> (120,) -> (84,) -> (10,), for 156 + 2416 + 48120 + 10164 + 850 parameters.

        >>> lenet5 = [
        ...     {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
        ...     {"type": "average_pool2d", "pool_size": 2},
        ...     {"type": "conv2d", "filters": 16, "kernel_size": 5},
        ...     {"type": "average_pool2d", "pool_size": 2},
        ...     {"type": "flatten"},
        ...     {"type": "dense", "units": 120},
        ...     {"type": "dense", "units": 84},
        ...     {"type": "dense", "units": 10},
        ... ]
        >>> count_params(lenet5, (28, 28, 1))
        61706
    """
    # BEGIN SOLUTION
    shape = tuple(_positive_int(n, "input_shape entries") for n in input_shape)
    total = 0
    for index, layer in enumerate(layers):
        where = f"layers[{index}]"
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind not in ("conv2d", "max_pool2d", "average_pool2d", "flatten", "dense"):
            raise ValueError(f"{where} must be a dict whose 'type' is 'conv2d', 'max_pool2d', "
                             f"'average_pool2d', 'flatten' or 'dense', got {layer!r}")
        if kind in ("conv2d", "max_pool2d", "average_pool2d") and len(shape) != 3:
            raise ValueError(f"{where} ({kind}) needs an (H, W, C) input, got shape {shape}")
        try:
            if kind == "conv2d":
                kh, kw = _pair(layer["kernel_size"], "kernel_size")
                sh, sw = _pair(layer.get("strides", 1), "strides")
                filters = _positive_int(layer["filters"], "filters")
                padding = layer.get("padding", "valid")
                total += conv2d_params((kh, kw), shape[2], filters, layer.get("use_bias", True))
                shape = (_length(shape[0], kh, sh, padding), _length(shape[1], kw, sw, padding), filters)
            elif kind in ("max_pool2d", "average_pool2d"):
                ph, pw = _pair(layer.get("pool_size", 2), "pool_size")
                sh, sw = _pair(layer.get("strides", (ph, pw)), "strides")
                padding = layer.get("padding", "valid")
                shape = (_length(shape[0], ph, sh, padding), _length(shape[1], pw, sw, padding), shape[2])
            elif kind == "flatten":
                shape = (math.prod(shape),)
            else:  # dense: acts on the last axis
                units = _positive_int(layer["units"], "units")
                total += dense_params(shape[-1], units, layer.get("use_bias", True))
                shape = shape[:-1] + (units,)
        except KeyError as missing:
            raise ValueError(f"{where} ({kind}) needs the key {missing}") from None
        except ValueError as error:
            raise ValueError(f"{where} ({kind}): {error}") from None
    return total
    # END SOLUTION
