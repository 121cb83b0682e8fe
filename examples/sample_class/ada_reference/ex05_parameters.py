"""Ada's parameter counting: follow the shape through the layers and add up weights and biases."""

import math


def conv2d_params(kernel_size, in_channels, filters, use_bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if min(kh, kw, in_channels, filters) < 1:
        raise ValueError("sizes must be positive")
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def dense_params(in_features, units, use_bias=True):
    if in_features < 1 or units < 1:
        raise ValueError("sizes must be positive")
    return in_features * units + (units if use_bias else 0)


def _out(n, k, stride, padding):
    return math.ceil(n / stride) if padding == "same" else (n - k) // stride + 1


def count_params(layers, input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError("input_shape must be (H, W, C)")
    total = 0
    for layer in layers:
        kind = layer.get("type")
        if kind == "conv2d":
            k = layer["kernel_size"]
            kh, kw = (k, k) if isinstance(k, int) else k
            s = layer.get("strides", 1)
            sh, sw = (s, s) if isinstance(s, int) else s
            pad = layer.get("padding", "valid")
            total += conv2d_params((kh, kw), shape[2], layer["filters"], layer.get("use_bias", True))
            shape = (_out(shape[0], kh, sh, pad), _out(shape[1], kw, sw, pad), layer["filters"])
        elif kind in ("max_pool2d", "average_pool2d"):
            p = layer.get("pool_size", 2)
            ph, pw = (p, p) if isinstance(p, int) else p
            s = layer.get("strides") or (ph, pw)
            sh, sw = (s, s) if isinstance(s, int) else s
            pad = layer.get("padding", "valid")
            shape = (_out(shape[0], ph, sh, pad), _out(shape[1], pw, sw, pad), shape[2])
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "dense":
            total += dense_params(shape[-1], layer["units"], layer.get("use_bias", True))
            shape = shape[:-1] + (layer["units"],)
        else:
            raise ValueError(f"unknown layer type {kind!r}")
    return total
