"""The mistake catalogue: the answers common mistakes give, each paired with the hint that names the mistake.

The public tests (`exercises/test_*.py`) and the hidden tests (`autograder/hidden/test_*.py`) both take their
hints from here, so a mistake gets the same hint in both. A catalogue function turns the right answer, and
for some mistakes the right answers of related calls (the maps with the kernels turned around, say), into the
answers of known mistakes. The public tests give it answers worked out by hand; the hidden tests give it the
reference solution's. Pass the result to `exercises.checks.check_array` / `check_int` as `mistakes=`.

Nothing here computes an exercise's answer: every function starts from a right answer it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from exercises.checks import Mistake

# Exercise 1: the sliding-window loops.
SHORT_OUTPUT = ("the output has H - kh + 1 rows and W - kw + 1 columns: a loop over range(H - kh) stops one row "
                "(and column) early; use range(H - kh + 1)")
LESSON_LOOP = ("the loops must visit all H - kh + 1 rows and W - kw + 1 columns: the lesson's range(H - 2) is "
               "right for a 3x3 kernel only; use range(H - kh + 1)")
UNFILLED = ("the last row or column of the output was never filled: the loops must visit all H - kh + 1 rows "
            "and W - kw + 1 columns, range(H - kh + 1)")


def _unfilled(expected: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """`expected` with its last `rows` rows and `cols` columns left at 0 (a correctly sized output)."""
    answer = expected.copy()
    if rows:
        answer[-rows:] = 0
    if cols:
        answer[:, -cols:] = 0
    return answer


def loop_mistakes(expected, kernel_shape: tuple[int, int] | None = None) -> list[Mistake]:
    """The answers of loops that stop early, each with its hint, computed from the reference `expected`
    of shape (H - kh + 1, W - kw + 1):

    - an output sized by a loop over range(H - kh): one row and/or column short -> `SHORT_OUTPUT`;
    - a correctly sized output whose last row or column was never filled -> `UNFILLED`;
    - with `kernel_shape` (kh, kw) smaller than 3: the lesson's range(H - 2) loop on a correctly sized
      output leaves its last 3 - kh rows and 3 - kw columns at 0 -> `LESSON_LOOP`.
    """
    expected = np.asarray(expected, dtype=float)
    if expected.ndim != 2 or min(expected.shape) < 1:
        return []
    mistakes = []
    if kernel_shape is not None:
        rows, cols = (max(0, 3 - int(k)) for k in kernel_shape)
        if (rows or cols) and rows <= expected.shape[0] and cols <= expected.shape[1]:
            mistakes.append((_unfilled(expected, rows, cols), LESSON_LOOP))
    mistakes += [(expected[:-1, :-1], SHORT_OUTPUT), (expected[:-1], SHORT_OUTPUT), (expected[:, :-1], SHORT_OUTPUT)]
    mistakes += [(_unfilled(expected, r, c), UNFILLED) for r, c in ((1, 0), (0, 1), (1, 1))]
    return mistakes


# Exercise 3: relu and feature_maps.
RELU_ABS = "relu is max(x, 0): it sets negative values to 0, np.abs flips their sign instead"
RELU_MIN = "relu keeps the positive values and zeroes the negative ones: np.maximum(x, 0), not np.minimum"
MAPS_CHANNELS_FIRST = ("the maps are stacked on the first axis (K, H, W): Keras stacks them last, (H, W, K); "
                       "use np.stack(maps, axis=-1)")
MAPS_RESHAPED = ("reshape does not move axes: (K, H, W) reshaped to (H, W, K) scrambles the maps; "
                 "stack them with np.stack(maps, axis=-1) or use np.moveaxis")
MAPS_FLIPPED = "you flipped the kernels: a convolutional layer cross-correlates, the kernels are used as they are"
SAME_BY_DEFAULT = "padding defaults to 'same': the maps keep the image's height and width"
MAPS_TOP_LEFT = ("'same' padding with an even kernel puts the extra zero row/column at the bottom/right, as "
                 "TensorFlow does: (kh - 1) // 2 rows on top, the rest at the bottom")
FIRST_CHANNEL_ONLY = "only the first input channel was used: a map sums the correlations of all C channels"
LAST_CHANNEL_ONLY = ("only the last input channel was kept: add each channel's correlation to the map (+=) "
                     "instead of overwriting it")
CHANNELS_AVERAGED = "the channels are summed, not averaged"
NO_MAP_BIAS = "the bias was not added: map k gets bias[k]"
BIAS_ZERO_FOR_ALL = "map k gets its own bias[k], not bias[0]"
BIAS_REVERSED = "bias[k] belongs to map k (the last axis), in the same order as the kernels"
ACTIVATION_BEFORE_BIAS = "the activation comes after the bias: activation(maps + bias)"
UINT8_WRAPPED = "uint8 arithmetic wraps around at 256: convert to float64 before multiplying and adding"

#: The activations feature_maps takes, as the formulas the contract states.
ACTIVATIONS: dict[str | None, Callable[[np.ndarray], np.ndarray]] = {
    None: lambda z: z, "relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # 1 / (1 + exp(-z)), without overflow
}


def no_activation(activation: str) -> str:
    """The hint for maps whose activation was left out."""
    return f"the activation {activation!r} was not applied"


def relu_mistakes(x) -> list[Mistake]:
    """What relu(x) gives when it takes |x| or min(x, 0)."""
    x = np.asarray(x, dtype=np.float64)
    return [(np.abs(x), RELU_ABS), (np.minimum(x, 0.0), RELU_MIN)]


def layout_mistakes(expected) -> list[Mistake]:
    """The right maps `expected` (H', W', K) in the wrong layout: stacked first, or reshaped from (K, H', W')."""
    channels_first = np.moveaxis(np.asarray(expected), -1, 0)  # (K, H', W')
    return [(channels_first, MAPS_CHANNELS_FIRST), (channels_first.reshape(np.shape(expected)), MAPS_RESHAPED)]


def feature_maps_mistakes(expected, kernel_shape: tuple[int, ...], padding: str = "same", *,
                          flipped=None, top_left=None, channel_maps: Sequence | None = None) -> list[Mistake]:
    """The answers of feature_maps' known mistakes, for the right maps `expected` (H', W', K) of kernels of
    shape `kernel_shape` (kh, kw, ...) with `padding`:

    - the layout mistakes of `layout_mistakes`;
    - with 'same' padding, the 'valid' maps (the interior of `expected`: 'same' padding was forgotten);
    - `flipped`: the right maps of the kernels turned by 180 degrees;
    - `top_left`: the right maps of the image padded with the extra zero of an even kernel on top/left;
    - `channel_maps`: the right maps of each input channel alone (they sum to the maps without bias), for
      the first channel only, the last channel only and their mean.
    """
    expected = np.asarray(expected, dtype=np.float64)
    mistakes = layout_mistakes(expected)
    if flipped is not None:
        mistakes.append((flipped, MAPS_FLIPPED))
    if padding == "same":
        kh, kw = kernel_shape[:2]
        top, left = (kh - 1) // 2, (kw - 1) // 2
        if expected.shape[0] >= kh and expected.shape[1] >= kw:
            valid = expected[top:top + expected.shape[0] - kh + 1, left:left + expected.shape[1] - kw + 1]
            mistakes.append((valid, SAME_BY_DEFAULT))
    if top_left is not None:
        mistakes.append((top_left, MAPS_TOP_LEFT))
    if channel_maps is not None and len(channel_maps) > 1:
        mistakes += [(channel_maps[0], FIRST_CHANNEL_ONLY), (channel_maps[-1], LAST_CHANNEL_ONLY),
                     (np.mean(np.stack(channel_maps), axis=0), CHANNELS_AVERAGED)]
    return mistakes


def bias_activation_mistakes(plain, bias, activation: str | None) -> list[Mistake]:
    """The answers of the bias and activation mistakes, from the right maps `plain` (H', W', K) computed
    without bias and without activation: activation before the bias, no bias, bias[0] for every map, the
    biases in reverse order, no activation."""
    plain = np.asarray(plain, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    function = ACTIVATIONS[activation]
    mistakes = []
    if activation is not None:
        mistakes.append((function(plain) + bias, ACTIVATION_BEFORE_BIAS))
    mistakes += [(function(plain), NO_MAP_BIAS), (function(plain + bias[0]), BIAS_ZERO_FOR_ALL),
                 (function(plain + bias[::-1]), BIAS_REVERSED)]
    if activation is not None:
        mistakes.append((plain + bias, no_activation(activation)))
    return mistakes


def uint8_mistakes(expected, wrapped_products=None) -> list[Mistake]:
    """The answers of arithmetic done in uint8: every sum wrapped modulo 256 (from the right answer
    `expected`), and `wrapped_products`, the sums of products each wrapped modulo 256 (as numpy computes
    `np.sum(window * kernel)` when both are uint8)."""
    mistakes = [(np.asarray(expected, dtype=np.float64) % 256, UINT8_WRAPPED)]
    if wrapped_products is not None:
        mistakes.insert(0, (wrapped_products, UINT8_WRAPPED))
    return mistakes


# Exercise 4: max_pool2d and average_pool2d.
POOL_STRIDE_IGNORED = ("the windows move `stride` pixels at a time (stride defaults to pool_size only when it is "
                       "None): window (i, j) starts at x[i * s, j * s]")
PARTIAL_WINDOWS = ("windows are 'valid': drop a window that sticks out of the map, H' = floor((H - p) / s) + 1, "
                   "so the last rows/columns the windows do not fit are ignored")
POOL_CHANNELS_FIRST = "the channel axis stays last: (H', W', C), not (C, H', W')"
CHANNEL_REDUCED = "pool each channel on its own; never reduce the channel axis"
CHANNEL_POOLED = "pool each channel on its own; never pool the channel axis"
FIRST_VALUE = "take the window's maximum, not its first value"
MAX_FROM_ZERO = ("a running maximum that starts at 0 is wrong for negative values: start from the window's first "
                 "element or -np.inf (or take .max() of the window)")
DIVIDED_BY_P = "divide the window sum by pool_size**2 elements, not by pool_size"
NOT_DIVIDED = "the window sum was not divided: average pooling divides it by pool_size**2"
TRUNCATED_MEAN = "the mean of integers is rarely an integer: compute in float64 and return floats"
SUM_WRAPPED = "uint8 sums wrap around at 256: convert to float64 before adding"


def other_pool(kind: str) -> str:
    """The hint for the other kind of pooling, e.g. max_pool2d's answer where average_pool2d's was asked."""
    other = "average_pool2d" if kind == "max_pool2d" else "max_pool2d"
    return f"that is {other}, not {kind}"


def _pooled_length(n: int, pool_size: int, stride: int) -> int:
    return (n - pool_size) // stride + 1


def pool_mistakes(x, expected, kind: str, pool_size: int = 2, stride: int | None = None, *,
                  stride_ignored=None, other=None) -> list[Mistake]:
    """The answers of pooling's known mistakes, for the right answer `expected` of `kind` ("max_pool2d" or
    "average_pool2d") on `x` (H, W) or (H, W, C):

    - `stride_ignored`: the right answer with stride = pool_size; `other`: the other kind's right answer;
    - the shapes of keeping windows that stick out of the map, and of reducing or pooling the channel axis;
    - the channels stacked first;
    - max: each window's first value, a running maximum that starts at 0;
    - average: the sum divided by pool_size or not at all, the mean truncated, sums wrapped in uint8.
    """
    x, expected = np.asarray(x), np.asarray(expected, dtype=np.float64)
    step = pool_size if stride is None else stride
    mistakes = []
    if stride_ignored is not None:
        mistakes.append((stride_ignored, POOL_STRIDE_IGNORED))
    if other is not None:
        mistakes.append((other, other_pool(kind)))
    # Mistakes known by their wrong shape alone: zeros of that shape (never of the right one, lest they match).
    height, width = x.shape[:2]
    shapes = [((size(height), size(width)) + x.shape[2:], PARTIAL_WINDOWS)  # windows sticking out kept
              for size in (lambda n: -(-n // step), lambda n: -(-(n - pool_size) // step) + 1)]
    if x.ndim == 3:
        mistakes.append((np.moveaxis(expected, -1, 0), POOL_CHANNELS_FIRST))
        shapes.append((expected.shape[:2], CHANNEL_REDUCED))
        if x.shape[2] >= pool_size:
            shapes.append((expected.shape[:2] + (_pooled_length(x.shape[2], pool_size, step),), CHANNEL_POOLED))
    mistakes += [(np.zeros(shape), hint) for shape, hint in shapes if shape != expected.shape]
    if kind == "max_pool2d":
        out_h, out_w = expected.shape[:2]
        firsts = x[:(out_h - 1) * step + 1:step, :(out_w - 1) * step + 1:step]
        mistakes += [(firsts, FIRST_VALUE), (np.maximum(expected, 0.0), MAX_FROM_ZERO)]
    else:
        cells = pool_size * pool_size
        mistakes += [(expected * pool_size, DIVIDED_BY_P), (expected * cells, NOT_DIVIDED),
                     (np.floor(expected), TRUNCATED_MEAN)]
        if x.dtype.kind in "iu":
            mistakes.append((np.round(expected * cells) % 256 / cells, SUM_WRAPPED))
    return mistakes


# Exercise 5: conv2d_params, dense_params and count_params.
NO_IN_CHANNELS = ("each kernel has one kh x kw slice per input channel: multiply by in_channels "
                  "(an RGB image, 3 channels, triples the weights)")
CONV_BIAS_PER_CHANNEL = "a Conv2D has one bias per filter, not per input channel"
CONV_NO_BIAS = "a Conv2D has one bias per filter: add filters biases when use_bias is True (the default)"
DENSE_NO_BIAS = ("a Dense layer has one bias per unit: in_features * units weights plus units biases "
                 "when use_bias is True (the default)")
DENSE_BIAS_PER_INPUT = "a Dense layer has one bias per unit, not one per input"
BIAS_PER_WEIGHT = "there is one bias per filter (Conv2D) or unit (Dense), not one per weight"
BIAS_WHEN_OFF = "use_bias=False means no bias at all"
KERNEL_ONE_SIDE = "a kernel has kh * kw weights per channel (kernel_size k means k x k)"
NO_FILTERS = "multiply by the number of filters: each filter has its own kernel"
NOT_MULTIPLIED = "every input is connected to every unit: in_features * units weights"
POOL_KEEPS_SIZE = ("pooling has no parameters but shrinks the maps (a 2x2 pooling halves H and W): a dense layer "
                   "after it sees fewer features")
STRIDE_IGNORED = "a stride shrinks the output: ceil(H / s) for 'same', floor((H - k) / s) + 1 for 'valid'"
SAME_KEEPS_SIZE = "'same' padding keeps the size (ceil(H / s)); only 'valid' shrinks it"
VALID_BY_DEFAULT = ("a conv layer without a 'padding' key is 'valid' (Keras' default): it shrinks H and W by "
                    "k - 1, e.g. 14 - 5 + 1 = 10")

ConvCount = Callable[[int, int, int, int, bool], int]  # (kh, kw, in_channels, filters, use_bias) -> count
DenseCount = Callable[[int, int, bool], int]  # (in_features, units, use_bias) -> count

#: Wrong ways to count one layer's parameters: (hint, Conv2D count or None, Dense count or None). A count
#: may equal the right one for some sizes (forgetting in_channels on a grey image): that answer is right.
LAYER_MISTAKES: tuple[tuple[str, ConvCount | None, DenseCount | None], ...] = (
    (NO_IN_CHANNELS, lambda kh, kw, c, f, b: kh * kw * f + f * b, None),
    (CONV_BIAS_PER_CHANNEL, lambda kh, kw, c, f, b: kh * kw * c * f + c * b, None),
    (CONV_BIAS_PER_CHANNEL, lambda kh, kw, c, f, b: f * (kh * kw * c + c * b), None),
    (CONV_NO_BIAS, lambda kh, kw, c, f, b: kh * kw * c * f, None),
    (DENSE_NO_BIAS, None, lambda i, u, b: i * u),
    (DENSE_BIAS_PER_INPUT, None, lambda i, u, b: i * u + i * b),
    (BIAS_PER_WEIGHT, lambda kh, kw, c, f, b: kh * kw * c * f * (1 + b), lambda i, u, b: i * u * (1 + b)),
    (BIAS_WHEN_OFF, lambda kh, kw, c, f, b: kh * kw * c * f + f, lambda i, u, b: i * u + u),
    (KERNEL_ONE_SIDE, lambda kh, kw, c, f, b: kh * c * f + f * b, None),
    (NO_FILTERS, lambda kh, kw, c, f, b: kh * kw * c + f * b, None),
    (NOT_MULTIPLIED, None, lambda i, u, b: i + u * b),
)


def _kernel_pair(kernel_size) -> tuple[int, int]:
    return (int(kernel_size), int(kernel_size)) if np.ndim(kernel_size) == 0 else tuple(int(k) for k in kernel_size)


def conv_params_mistakes(kernel_size, in_channels: int, filters: int, use_bias: bool = True) -> list[Mistake]:
    """What conv2d_params(kernel_size, in_channels, filters, use_bias) gives under each Conv2D mistake of
    `LAYER_MISTAKES`."""
    kh, kw = _kernel_pair(kernel_size)
    return [(count(kh, kw, in_channels, filters, bool(use_bias)), hint) for hint, count, _ in LAYER_MISTAKES if count]


def dense_params_mistakes(in_features: int, units: int, use_bias: bool = True) -> list[Mistake]:
    """What dense_params(in_features, units, use_bias) gives under each Dense mistake of `LAYER_MISTAKES`."""
    return [(count(in_features, units, bool(use_bias)), hint) for hint, _, count in LAYER_MISTAKES if count]


def _layer_sizes(layer: dict, right: int) -> tuple[str, tuple] | None:
    """("conv2d", (kh, kw, in_channels, filters, use_bias)) or ("dense", (in_features, units, use_bias)) of a
    layer whose right parameter count is `right`; None for a layer without parameters."""
    use_bias = bool(layer.get("use_bias", True))
    if layer["type"] == "conv2d":
        (kh, kw), filters = _kernel_pair(layer["kernel_size"]), int(layer["filters"])
        weights, per_channel = right - filters * use_bias, kh * kw * filters
        if weights < per_channel or weights % per_channel:
            raise ValueError(f"{right} is not the parameter count of a conv layer {layer!r}")
        return "conv2d", (kh, kw, weights // per_channel, filters, use_bias)
    if layer["type"] == "dense":
        units = int(layer["units"])
        weights = right - units * use_bias
        if weights < units or weights % units:
            raise ValueError(f"{right} is not the parameter count of a dense layer {layer!r}")
        return "dense", (weights // units, units, use_bias)
    return None


def count_params_mistakes(layers: Sequence[dict], layer_counts: Sequence[int]) -> list[Mistake]:
    """What count_params(layers, ...) gives when it counts its conv layers, its dense layers or both with a
    mistake of `LAYER_MISTAKES` (a mistake of conv2d_params or dense_params carried into the whole count).

    `layer_counts[i]` is the right number of parameters of `layers[i]` (0 for pooling and flatten); the sizes
    each layer sees (its input channels, its input features) follow from it.
    """
    if len(layers) != len(layer_counts):
        raise ValueError(f"layer_counts must have one count per layer ({len(layers)}), got {len(layer_counts)}")
    sizes = [_layer_sizes(layer, int(right)) for layer, right in zip(layers, layer_counts, strict=True)]
    mistakes = []
    for hint, conv, dense in LAYER_MISTAKES:
        for wrong in ({"conv2d": conv}, {"dense": dense}, {"conv2d": conv, "dense": dense}):
            if not all(wrong.values()):
                continue
            total = sum(wrong[size[0]](*size[1]) if size and size[0] in wrong else int(right)
                        for size, right in zip(sizes, layer_counts, strict=True))
            mistakes.append((total, hint))
    return mistakes


def _edited(layers: Sequence[dict], types: tuple[str, ...], drop: tuple[str, ...] = (), **changes) -> list[dict]:
    """The stack with the layers of some types changed: keys dropped or set (the other layers untouched)."""
    return [{**{k: v for k, v in layer.items() if k not in drop}, **changes} if layer["type"] in types
            else dict(layer) for layer in layers]


def stack_mistakes(layers: Sequence[dict]) -> list[tuple[list[dict], str]]:
    """The stacks count_params counts instead of `layers` when it follows the shape wrongly, each with its
    hint: pooling that keeps the size, conv strides ignored, 'same' shrinking like 'valid', a conv without a
    padding key taken as 'same'. Count each stack with a right count_params to get the mistake's answer (a
    stack that no longer fits its input has no answer)."""
    convs = ("conv2d",)
    return [
        ([layer for layer in layers if layer["type"] not in ("max_pool2d", "average_pool2d")], POOL_KEEPS_SIZE),
        (_edited(layers, convs, drop=("strides",)), STRIDE_IGNORED),
        (_edited(layers, convs, drop=("padding",)), SAME_KEEPS_SIZE),
        ([{"padding": "same", **layer} if layer["type"] == "conv2d" else dict(layer) for layer in layers],
         VALID_BY_DEFAULT),
    ]
