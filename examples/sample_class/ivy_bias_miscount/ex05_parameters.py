"""Ivy's parameter counting: one bias per weight instead of one per filter or unit."""


def conv2d_params(kernel_size, in_channels, filters, use_bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    weights = kh * kw * in_channels * filters
    return 2 * weights if use_bias else weights


def dense_params(in_features, units, use_bias=True):
    weights = in_features * units
    return 2 * weights if use_bias else weights


def count_params(layers, input_shape):
    h, w, c = input_shape
    total = 0
    for layer in layers:
        if layer["type"] == "conv2d":
            k = layer["kernel_size"]
            total += conv2d_params(k, c, layer["filters"], layer.get("use_bias", True))
            k = k if isinstance(k, int) else k[0]
            if layer.get("padding", "valid") != "same":
                h, w = h - k + 1, w - k + 1
            c = layer["filters"]
        elif layer["type"] in ("max_pool2d", "average_pool2d"):
            p = layer.get("pool_size", 2)
            h, w = h // p, w // p
        elif layer["type"] == "flatten":
            h, w, c = 1, 1, h * w * c
        elif layer["type"] == "dense":
            total += dense_params(c, layer["units"], layer.get("use_bias", True))
            c = layer["units"]
    return total
