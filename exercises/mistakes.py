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
    - a correctly sized output whose last row or column was never filled -> `UNFILLED` (unless that would
      leave the whole output at 0, which names no loop);
    - with `kernel_shape` (kh, kw) smaller than 3: the lesson's range(H - 2) loop on a correctly sized
      output leaves its last 3 - kh rows and 3 - kw columns at 0 -> `LESSON_LOOP`.
    """
    expected = np.asarray(expected, dtype=float)
    if expected.ndim != 2 or min(expected.shape) < 1:
        return []
    mistakes = []
    height, width = expected.shape
    if kernel_shape is not None:
        rows, cols = (max(0, 3 - int(k)) for k in kernel_shape)
        if (rows or cols) and rows < height and cols < width:  # an output left all 0 names no loop
            mistakes.append((_unfilled(expected, rows, cols), LESSON_LOOP))
    mistakes += [(expected[:-1, :-1], SHORT_OUTPUT), (expected[:-1], SHORT_OUTPUT), (expected[:, :-1], SHORT_OUTPUT)]
    if kernel_shape is not None:  # an output sized (H - 2, W - 2) by the lesson's loop, known by its shape
        lesson = tuple(n + int(k) - 3 for n, k in zip(expected.shape, kernel_shape, strict=True))
        if lesson != expected.shape and min(lesson) > 0:
            mistakes.append((np.zeros(lesson), LESSON_LOOP))
    mistakes += [(_unfilled(expected, r, c), UNFILLED) for r, c in ((1, 0), (0, 1), (1, 1)) if r < height and c < width]
    return mistakes


CORRELATE_FLIPPED = "you flipped the kernel: that is true convolution (convolve2d); correlate2d uses it as it is"
CORRELATE_TRANSPOSED = "the kernel was transposed: correlate2d uses it as it is"
KERNEL_AXES_SWAPPED = "rows go with kh = kernel.shape[0], columns with kw = kernel.shape[1]"
NOT_FLIPPED = "the kernel was not flipped: that is correlate2d; convolve2d flips it on both axes, kernel[::-1, ::-1]"
HALF_FLIPPED = "the kernel was flipped on one axis only: flip both, kernel[::-1, ::-1]"
TRANSPOSED_NOT_FLIPPED = "the kernel was transposed, not flipped: flip both axes with kernel[::-1, ::-1]"
ROTATED_90 = "np.rot90(kernel) turns the kernel by 90 degrees; convolution turns it by 180, kernel[::-1, ::-1]"


def correlate_mistakes(expected, kernel_shape: tuple[int, int], *, flipped=None, transposed=None) -> list[Mistake]:
    """The answers of correlate2d's known mistakes, for the right answer `expected` with a kernel of shape
    `kernel_shape`: `flipped` (the right answer of the kernel turned by 180 degrees), `transposed` (of the
    kernel transposed), kh and kw swapped (known by its shape) and the loop mistakes of `loop_mistakes`."""
    expected = np.asarray(expected, dtype=np.float64)
    mistakes = [(answer, hint) for answer, hint in ((flipped, CORRELATE_FLIPPED), (transposed, CORRELATE_TRANSPOSED))
                if answer is not None]
    kh, kw = (int(k) for k in kernel_shape)
    swapped = (expected.shape[0] + kh - kw, expected.shape[1] + kw - kh)
    if expected.ndim == 2 and kh != kw and min(swapped) > 0:
        mistakes.append((np.zeros(swapped), KERNEL_AXES_SWAPPED))
    return mistakes + loop_mistakes(expected, kernel_shape)


def convolve_mistakes(expected, kernel_shape: tuple[int, int], *, not_flipped=None, rows_flipped=None,
                      cols_flipped=None, transposed=None, rotated=None) -> list[Mistake]:
    """The answers of convolve2d's known mistakes, for the right answer `expected` with a kernel of shape
    `kernel_shape`, from the right correlations of the kernel as it is (`not_flipped`), flipped up-down only
    (`rows_flipped`), left-right only (`cols_flipped`), transposed and turned by np.rot90 (`rotated`); and the
    loop mistakes of `loop_mistakes`."""
    answers = ((not_flipped, NOT_FLIPPED), (rows_flipped, HALF_FLIPPED), (cols_flipped, HALF_FLIPPED),
               (transposed, TRANSPOSED_NOT_FLIPPED), (rotated, ROTATED_90))
    return [(answer, hint) for answer, hint in answers if answer is not None] + loop_mistakes(expected, kernel_shape)


# Exercise 2: zero_pad, output_size and conv2d.
PAD_PAIRS_SWAPPED = "pad is ((top, bottom), (left, right)): the first pair is for the rows"
PAD_PAIRS_MIXED = "pad is ((top, bottom), (left, right)): each pair is (before, after) on one axis"
INT_PAD_TWO_SIDES = "an int pad puts that many zeros on all four sides (top, bottom, left and right), not on two"
CHANNELS_PADDED = ("the channel axis was padded too: channels are never padded, e.g. "
                   "np.pad(image, ((top, bottom), (left, right), (0, 0)))")
SAME_ROUNDS_UP = "'same' rounds up: ceil(n / s), e.g. -(-n // s), not n // s or round(n / s)"
SAME_IGNORES_K = "with 'same' the kernel size does not matter: ceil(n / s)"
NO_PLUS_ONE = "add 1: the first kernel position counts too, floor((n + 2p - k) / s) + 1"
SIZE_STRIDE_IGNORED = "divide by the stride: floor((n + 2p - k) / s) + 1"
DIVIDE_FIRST = "divide (n + 2p - k) by the stride first, then add 1"
PAD_ONCE = "a padding of p adds p zeros on each side, 2p in all"
FULL_LIKE_VALID = "'full' pads k - 1 zeros on each side: floor((n + k - 2) / s) + 1"
CONV_FLIPPED = "you flipped the kernel: conv2d is a cross-correlation (like correlate2d), the kernel is used as it is"
CONV_STRIDE_IGNORED = ("the kernel moves `stride` pixels at a time: keep every stride-th position, out[i, j] starts at "
                       "padded[i * s, j * s], so there are output_size(H, kh, padding, stride) rows")
CONV_SHORT = "one row and column short: output_size is floor((n + 2p - k) / s) + 1, count the first position"
SAME_EXTRA_BEFORE = ("an odd total of 'same' padding puts the extra zero row/column at the bottom/right, as "
                     "TensorFlow does: total // 2 before, the rest after")
SAME_PADS = ("'same' with stride s pads max((ceil(n / s) - 1) * s + k - n, 0) zeros in total, the smaller half "
             "before (with stride 1 and a 3x3 kernel: one zero on every side)")
CONV2D_RULE = ("out[i, j] = sum over a, b of padded[i * s + a, j * s + b] * kernel[a, b], with shape "
               "(output_size(H, kh, padding, s), output_size(W, kw, padding, s))")
#: Hints that state a rule, given when no known mistake matches (rather than naming one mistake).
RULES = (SAME_PADS, CONV2D_RULE)


def zero_pad_mistakes(image, pad, *, swapped=None, mixed=None) -> list[Mistake]:
    """The answers of zero_pad's known mistakes on `image` with `pad` (an int or ((top, bottom), (left, right))):

    - `swapped`: the right answer for the pairs swapped, ((left, right), (top, bottom));
    - `mixed`: the right answer for ((top, left), (bottom, right));
    - an int pad on two sides only (known by its shape);
    - on an (H, W, C) image, the channel axis padded as numpy pads it when given the int or the pairs.
    """
    image = np.asarray(image)
    mistakes = []
    if swapped is not None:
        mistakes.append((swapped, PAD_PAIRS_SWAPPED))
    if mixed is not None:
        mistakes.append((mixed, PAD_PAIRS_MIXED))
    if np.ndim(pad) == 0:
        p = int(pad)
        mistakes.append((np.zeros((image.shape[0] + p, image.shape[1] + p) + image.shape[2:]), INT_PAD_TWO_SIDES))
        if image.ndim == 3:
            mistakes.append((np.pad(image.astype(np.float64), p), CHANNELS_PADDED))
    elif image.ndim == 3:
        rows, cols = (tuple(int(n) for n in pair) for pair in pad)
        mistakes += [(np.pad(image.astype(np.float64), (rows, cols, cols)), CHANNELS_PADDED),
                     (np.pad(image.astype(np.float64), (rows, cols, rows)), CHANNELS_PADDED)]
    return mistakes


def output_size_mistakes(n: int, k: int, padding, stride: int = 1) -> list[Mistake]:
    """What output_size(n, k, padding, stride) gives under its known mistakes (wrong formulas)."""
    s = stride
    if padding == "same":
        return [(n // s, SAME_ROUNDS_UP), (round(n / s), SAME_ROUNDS_UP), ((n - k) // s + 1, SAME_IGNORES_K)]
    p = {"valid": 0, "full": k - 1}.get(padding, padding)
    mistakes = [((n - k) // s + 1, FULL_LIKE_VALID)] if padding == "full" else []
    return mistakes + [((n + 2 * p - k) // s, NO_PLUS_ONE), (n + 2 * p - k + 1, SIZE_STRIDE_IGNORED),
                       ((n + 2 * p - k + 1) // s, DIVIDE_FIRST), ((n + p - k) // s + 1, PAD_ONCE)]


def conv2d_mistakes(expected, *, flipped=None, every_position=None, extra_before: Sequence = ()) -> list[Mistake]:
    """The answers of conv2d's known mistakes, for the right answer `expected` (H', W'):

    - `flipped`: the right answer of the kernel turned by 180 degrees;
    - `every_position`: the right answer with the same padding and stride 1 (the stride ignored), also cut
      to the size of `expected`;
    - `extra_before`: right answers with the extra zero of an odd 'same' total before instead of after, on
      one axis or both;
    - an output one row and one column short (known by its shape).
    """
    expected = np.asarray(expected)
    mistakes = [] if flipped is None else [(flipped, CONV_FLIPPED)]
    if every_position is not None:
        every_position = np.asarray(every_position)
        mistakes += [(every_position, CONV_STRIDE_IGNORED),
                     (every_position[:expected.shape[0], :expected.shape[1]], CONV_STRIDE_IGNORED)]
    mistakes += [(answer, SAME_EXTRA_BEFORE) for answer in extra_before]
    if min(expected.shape) > 1:
        mistakes.append((np.zeros((expected.shape[0] - 1, expected.shape[1] - 1)), CONV_SHORT))
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
