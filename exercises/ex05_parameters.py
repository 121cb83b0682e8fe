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
    raise NotImplementedError("conv2d_params is not implemented yet: write it where this line stands")


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
    raise NotImplementedError("dense_params is not implemented yet: write it where this line stands")


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
    raise NotImplementedError("count_params is not implemented yet: write it where this line stands")
