"""The mutant catalogue: common student mistakes in exercises 1-5, each written as an edit of a solution.

A mutant is one exact snippet of `solutions/<exercise>.py` and its buggy replacement. The hidden suite must
take points from every mutant on the mutant's own exercise and on no other (`tests/test_hidden_inprocess.py`
and `convkit validate` check it). `mutant_source` raises ValueError when a snippet no longer occurs exactly
once, so the catalogue fails loudly when a solution changes instead of silently testing nothing.

A mutant's `hints` are hints of the mistake catalogue (`exercises/mistakes.py`) that the public tests and the
hidden tests must both give it, and `also` the other hints they may give it (`tests/test_mistake_catalogue.py`
checks it).
"""

from dataclasses import dataclass
from pathlib import Path

from exercises import mistakes as hint

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


@dataclass(frozen=True)
class Mutant:
    """One common mistake: replace `old` (exact text of solutions/<exercise>.py) by `new`."""

    id: str
    exercise: str
    description: str
    old: str
    new: str
    hints: tuple[str, ...] = ()
    #: Other hints a suite may give it: where its answer equals another mistake's on a test's data.
    also: tuple[str, ...] = ()


def mutant_source(mutant: Mutant) -> str:
    """The solution's text with the mutant's snippet replaced exactly once."""
    source = (SOLUTIONS / f"{mutant.exercise}.py").read_text(encoding="utf-8")
    found = source.count(mutant.old)
    if found != 1:
        raise ValueError(f"mutant {mutant.id}: its snippet occurs {found} times in solutions/{mutant.exercise}.py, "
                         "expected exactly once; update the catalogue to the current solution")
    return source.replace(mutant.old, mutant.new, 1)


EX01, EX02, EX03, EX04, EX05 = ("ex01_convolution", "ex02_padding", "ex03_feature_maps", "ex04_pooling",
                                "ex05_parameters")

# The start of conv2d in solutions/ex02_padding.py, down to the padded image, which one mutant keeps in uint8.
_EX02_CONV_START = ("    image = np.asarray(image, dtype=np.float64)\n"
                    "    kernel = np.asarray(kernel, dtype=np.float64)\n"
                    "    if image.ndim != 2:\n"
                    "        raise ValueError(f\"image must be 2-D (H, W), got shape {image.shape}\")\n"
                    "    if kernel.ndim != 2 or kernel.size == 0:\n"
                    "        raise ValueError(f\"kernel must be 2-D (kh, kw) and not empty, got shape "
                    "{kernel.shape}\")\n"
                    "    (height, width), (kh, kw) = image.shape, kernel.shape\n"
                    "    # output_size checks padding and stride, and that the kernel fits in the padded image.\n"
                    "    out_h, out_w = output_size(height, kh, padding, stride), "
                    "output_size(width, kw, padding, stride)\n"
                    "    padded = zero_pad(image, (_pads(height, kh, padding, stride), "
                    "_pads(width, kw, padding, stride)))\n")
# The bias and activation blocks of solutions/ex03_feature_maps.py, swapped by one mutant.
_EX03_BIAS = ("    if bias is not None:\n"
              "        out += np.asarray(bias, dtype=np.float64)  # broadcast over (out_h, out_w)\n")
_EX03_ACTIVATION = ("    if activation == \"relu\":\n"
                    "        out = relu(out)\n"
                    "    elif activation == \"sigmoid\":\n"
                    "        out = 0.5 * (1.0 + np.tanh(0.5 * out))  # equals 1 / (1 + exp(-z)) and never overflows\n"
                    "    elif activation == \"tanh\":\n"
                    "        out = np.tanh(out)\n")

MUTANTS: list[Mutant] = [
    # Exercise 1: correlate2d and convolve2d.
    Mutant("ex01-loop-stops-one-row-early", EX01,
           "the lesson's loop range(H - 2) generalised to range(H - kh): one row and column short",
           "    out_h, out_w = height - kh + 1, width - kw + 1\n",
           "    out_h, out_w = height - kh, width - kw\n", (hint.SHORT_OUTPUT,)),
    Mutant("ex01-lesson-loop-range-h-minus-2", EX01,
           "the lesson's loop range(H - 2) on a correctly sized output: with a kernel smaller than 3x3 the last "
           "rows and columns stay 0",
           "    return out\n    # END SOLUTION",
           "    out[max(height - 2, 0):] = 0  # range(H - 2) never reaches these rows\n"
           "    out[:, max(width - 2, 0):] = 0\n    return out\n    # END SOLUTION", (hint.LESSON_LOOP,)),
    Mutant("ex01-correlate-flips-the-kernel", EX01,
           "correlate2d flips the kernel (computes true convolution)",
           "    kernel = np.asarray(kernel, dtype=np.float64)\n    if image.ndim != 2:",
           "    kernel = np.asarray(kernel, dtype=np.float64)[::-1, ::-1]\n    if image.ndim != 2:",
           (hint.CORRELATE_FLIPPED, hint.NOT_FLIPPED)),
    Mutant("ex01-convolve-without-flip", EX01,
           "convolve2d forgets to flip the kernel (returns the correlation)",
           "    return correlate2d(image, kernel[::-1, ::-1])\n",
           "    return correlate2d(image, kernel)\n", (hint.NOT_FLIPPED,)),
    Mutant("ex01-convolve-flips-rows-only", EX01,
           "convolve2d flips the kernel up-down only",
           "    return correlate2d(image, kernel[::-1, ::-1])\n",
           "    return correlate2d(image, kernel[::-1])\n", (hint.HALF_FLIPPED,),
           also=(hint.NOT_FLIPPED,)),  # the public edge kernel is the same flipped up-down
    Mutant("ex01-convolve-rotates-90-degrees", EX01,
           "convolve2d turns the kernel with np.rot90 (90 degrees instead of 180)",
           "    return correlate2d(image, kernel[::-1, ::-1])\n",
           "    return correlate2d(image, np.rot90(kernel))\n", (hint.ROTATED_90,)),
    Mutant("ex01-convolve-flips-in-place", EX01,
           "convolve2d flips the caller's kernel in place",
           "    return correlate2d(image, kernel[::-1, ::-1])\n",
           "    kernel[...] = kernel[::-1, ::-1].copy()\n    return correlate2d(image, kernel)\n"),
    Mutant("ex01-uint8-arithmetic", EX01,
           "no conversion to float: uint8 products wrap around at 256",
           "    image = np.asarray(image, dtype=np.float64)\n    kernel = np.asarray(kernel, dtype=np.float64)\n",
           "    image = np.asarray(image)\n    kernel = np.asarray(kernel)\n", (hint.UINT8_WRAPPED,)),
    Mutant("ex01-integer-output", EX01,
           "correlate2d returns an integer array",
           "    return out\n",
           "    return out.astype(np.int64)\n"),
    Mutant("ex01-no-error-for-a-large-kernel", EX01,
           "no ValueError when the kernel is larger than the image",
           "    if kh > height or kw > width:\n        raise ValueError(",
           "    if False:\n        raise ValueError("),
    # Exercise 2: zero_pad, output_size, conv2d.
    Mutant("ex02-pads-the-channel-axis", EX02,
           "zero_pad pads the channel axis of an (H, W, C) image too",
           "[(0, 0)] * (image.ndim - 2)",
           "[(top, bottom)] * (image.ndim - 2)", (hint.CHANNELS_PADDED,)),
    Mutant("ex02-int-pad-on-top-left-only", EX02,
           "zero_pad with an int pads top and left only",
           "        pad = ((pad, pad), (pad, pad))\n",
           "        pad = ((pad, 0), (pad, 0))\n", (hint.INT_PAD_TWO_SIDES,)),
    Mutant("ex02-int-pad-pads-the-channel-axis", EX02,
           "zero_pad with an int calls np.pad(image, pad), which pads the channel axis of a 3-D image too",
           "        pad = ((pad, pad), (pad, pad))\n",
           "        return np.pad(image, int(pad))\n", (hint.CHANNELS_PADDED,)),
    Mutant("ex02-same-extra-zero-top-left", EX02,
           "'same' puts the extra zero of an odd total at the top/left",
           "        return total // 2, total - total // 2",
           "        return total - total // 2, total // 2", (hint.SAME_EXTRA_BEFORE,)),
    Mutant("ex02-same-size-rounds", EX02,
           "output_size for 'same' uses round(n / s) instead of ceil(n / s)",
           "            return -(-n // s)  # ceil(n / s) in integer arithmetic\n",
           "            return round(n / s)\n", (hint.SAME_ROUNDS_UP,)),
    Mutant("ex02-output-size-without-plus-one", EX02,
           "output_size forgets the + 1 of floor((n + 2p - k) / s) + 1",
           "    return (n + 2 * int(padding) - k) // s + 1\n",
           "    return (n + 2 * int(padding) - k) // s\n", (hint.NO_PLUS_ONE, hint.CONV_SHORT)),
    Mutant("ex02-full-counts-like-valid", EX02,
           "output_size for 'full' uses the 'valid' formula",
           "            return (n + k - 2) // s + 1\n",
           "            return (n - k) // s + 1\n", (hint.FULL_LIKE_VALID,)),
    Mutant("ex02-conv-ignores-stride", EX02,
           "conv2d takes consecutive positions instead of every stride-th",
           "padded[a:a + last_h:stride, b:b + last_w:stride]",
           "padded[a:a + out_h, b:b + out_w]", (hint.CONV_STRIDE_IGNORED,)),
    Mutant("ex02-stride-not-validated", EX02,
           "no ValueError for a stride of 0 or less",
           '("kernel_size", kernel_size), ("stride", stride)):',
           '("kernel_size", kernel_size)):'),
    Mutant("ex02-pad-pairs-swapped", EX02,
           "zero_pad reads pad as ((left, right), (top, bottom))",
           "        (top, bottom), (left, right) = pad\n",
           "        (left, right), (top, bottom) = pad\n", (hint.PAD_PAIRS_SWAPPED,)),
    Mutant("ex02-conv-flips-the-kernel", EX02,
           "conv2d turns the kernel by 180 degrees (true convolution)",
           "    kernel = np.asarray(kernel, dtype=np.float64)\n",
           "    kernel = np.asarray(kernel, dtype=np.float64)[::-1, ::-1]\n", (hint.CONV_FLIPPED,)),
    Mutant("ex02-conv-uint8-arithmetic", EX02,
           "conv2d keeps uint8 images and kernels as they are (np.pad keeps the dtype): products wrap at 256",
           _EX02_CONV_START,
           _EX02_CONV_START.replace("dtype=np.float64", "dtype=None").replace("stride)))\n",
                                                                              "stride))).astype(image.dtype)\n"),
           (hint.UINT8_WRAPPED,)),
    # Exercise 3: relu and feature_maps.
    Mutant("ex03-relu-keeps-integer-dtype", EX03,
           "relu returns the input's integer dtype",
           "    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)\n",
           "    return np.maximum(x, 0)\n"),
    Mutant("ex03-relu-in-place", EX03,
           "relu zeroes the negative values of the caller's float array in place",
           "    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)\n",
           "    x = np.asarray(x, dtype=np.float64)\n    x[x < 0] = 0.0\n    return x\n"),
    Mutant("ex03-maps-stacked-channels-first", EX03,
           "feature maps stacked as (K, H, W) instead of (H, W, K)",
           "        out = np.tanh(out)\n    return out\n",
           "        out = np.tanh(out)\n    return np.moveaxis(out, -1, 0)\n", (hint.MAPS_CHANNELS_FIRST,)),
    Mutant("ex03-activation-before-bias", EX03,
           "the activation is applied before the bias is added",
           _EX03_BIAS + _EX03_ACTIVATION,
           _EX03_ACTIVATION + _EX03_BIAS, (hint.ACTIVATION_BEFORE_BIAS,)),
    Mutant("ex03-same-extra-zero-on-top", EX03,
           "'same' with an even kernel puts the extra zero row/column at the top/left",
           "        top, left = (kh - 1) // 2, (kw - 1) // 2\n",
           "        top, left = kh // 2, kw // 2\n", (hint.MAPS_TOP_LEFT,)),
    Mutant("ex03-one-bias-for-all-maps", EX03,
           "every map gets bias[0] instead of its own bias[k]",
           "out += np.asarray(bias, dtype=np.float64)  # broadcast over (out_h, out_w)",
           "out += np.asarray(bias, dtype=np.float64)[0]", (hint.BIAS_ZERO_FOR_ALL,)),
    Mutant("ex03-relu-is-abs", EX03,
           "relu takes the absolute value",
           "    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)\n",
           "    return np.abs(np.asarray(x, dtype=np.float64))\n", (hint.RELU_ABS,)),
    Mutant("ex03-kernels-flipped", EX03,
           "feature_maps turns the kernels by 180 degrees (true convolution)",
           "    kernels = np.asarray(kernels, dtype=np.float64)\n",
           "    kernels = np.asarray(kernels, dtype=np.float64)[::-1, ::-1]\n", (hint.MAPS_FLIPPED,)),
    Mutant("ex03-padding-defaults-to-valid", EX03,
           "feature_maps' padding defaults to 'valid'",
           '    padding: str = "same",\n',
           '    padding: str = "valid",\n', (hint.SAME_BY_DEFAULT,)),
    Mutant("ex03-first-channel-only", EX03,
           "each map correlates the first input channel only",
           "out += image[a:a + out_h, b:b + out_w, :] @ kernels[a, b]",
           "out += image[a:a + out_h, b:b + out_w, :1] @ kernels[a, b, :1]", (hint.FIRST_CHANNEL_ONLY,)),
    Mutant("ex03-last-channel-overwrites", EX03,
           "each channel's correlation overwrites the previous one's: the last channel is left",
           "out += image[a:a + out_h, b:b + out_w, :] @ kernels[a, b]",
           "out += image[a:a + out_h, b:b + out_w, -1:] @ kernels[a, b, -1:]", (hint.LAST_CHANNEL_ONLY,)),
    Mutant("ex03-bias-not-added", EX03,
           "feature_maps ignores the bias",
           "out += np.asarray(bias, dtype=np.float64)  # broadcast over (out_h, out_w)",
           "pass", (hint.NO_MAP_BIAS,)),
    Mutant("ex03-biases-reversed", EX03,
           "map k gets bias[K - 1 - k]",
           "out += np.asarray(bias, dtype=np.float64)  # broadcast over (out_h, out_w)",
           "out += np.asarray(bias, dtype=np.float64)[::-1]", (hint.BIAS_REVERSED,)),
    Mutant("ex03-relu-not-applied", EX03,
           "activation='relu' is ignored",
           '    if activation == "relu":\n        out = relu(out)\n',
           '    if activation == "relu":\n        pass\n', (hint.no_activation("relu"),)),
    Mutant("ex03-uint8-arithmetic", EX03,
           "no conversion to float: uint8 products wrap around at 256",
           "    image = np.asarray(image, dtype=np.float64)\n    kernels = np.asarray(kernels, dtype=np.float64)\n",
           "    image = np.asarray(image)\n    kernels = np.asarray(kernels)\n", (hint.UINT8_WRAPPED,)),
    # Exercise 4: max_pool2d and average_pool2d.
    Mutant("ex04-pool-ignores-stride", EX04,
           "pooling always moves by pool_size, whatever the stride",
           "    stride = pool_size if stride is None else stride\n",
           "    stride = pool_size\n", (hint.POOL_STRIDE_IGNORED,)),
    Mutant("ex04-average-divides-by-pool-size", EX04,
           "average pooling divides the window sum by pool_size instead of pool_size**2",
           "    return np.mean(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    return np.sum(np.stack(_windows(x, pool_size, stride)), axis=0) / pool_size\n", (hint.DIVIDED_BY_P,)),
    Mutant("ex04-average-integer-division", EX04,
           "average pooling uses integer division (//) for the mean",
           "    return np.mean(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    return np.sum(np.stack(_windows(x, pool_size, stride)), axis=0) // pool_size**2\n",
           (hint.TRUNCATED_MEAN,)),
    Mutant("ex04-max-starts-at-zero", EX04,
           "max pooling starts its running maximum at 0, so negative windows give 0",
           "    return np.max(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    return np.maximum(np.max(np.stack(_windows(x, pool_size, stride)), axis=0), 0.0)\n",
           (hint.MAX_FROM_ZERO,)),
    Mutant("ex04-no-error-for-a-large-window", EX04,
           "no ValueError when the window is larger than the map",
           "    if pool_size > min(height, width):\n        raise ValueError(",
           "    if False:\n        raise ValueError("),
    Mutant("ex04-max-takes-the-first-value", EX04,
           "max pooling keeps each window's first value",
           "    return np.max(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    return _windows(x, pool_size, stride)[0]\n", (hint.FIRST_VALUE,)),
    Mutant("ex04-max-stacks-channels-first", EX04,
           "max pooling returns (C, H', W') for an (H, W, C) map",
           "    return np.max(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    out = np.max(np.stack(_windows(x, pool_size, stride)), axis=0)\n"
           "    return np.moveaxis(out, -1, 0) if out.ndim == 3 else out\n", (hint.POOL_CHANNELS_FIRST,)),
    Mutant("ex04-average-not-divided", EX04,
           "average pooling returns the window sums",
           "    return np.mean(np.stack(_windows(x, pool_size, stride)), axis=0)\n",
           "    return np.sum(np.stack(_windows(x, pool_size, stride)), axis=0)\n", (hint.NOT_DIVIDED,)),
    # Exercise 5: conv2d_params, dense_params, count_params.
    Mutant("ex05-conv-forgets-in-channels", EX05,
           "conv2d_params forgets the input channels: kh * kw * filters weights",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return kh * kw * count + (count if use_bias else 0)\n", (hint.NO_IN_CHANNELS,)),
    Mutant("ex05-conv-bias-per-weight", EX05,
           "conv2d_params counts one bias per weight",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return kh * kw * channels * count * (2 if use_bias else 1)\n", (hint.BIAS_PER_WEIGHT,)),
    Mutant("ex05-conv-always-has-bias", EX05,
           "conv2d_params ignores use_bias=False",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return kh * kw * channels * count + count\n", (hint.BIAS_WHEN_OFF,)),
    Mutant("ex05-dense-without-bias", EX05,
           "dense_params forgets the biases",
           "    return inputs * count + (count if use_bias else 0)\n",
           "    return inputs * count\n", (hint.DENSE_NO_BIAS,)),
    Mutant("ex05-pooling-does-not-shrink", EX05,
           "count_params keeps the shape through pooling layers",
           "                shape = (_length(shape[0], ph, sh, padding), "
           "_length(shape[1], pw, sw, padding), shape[2])\n",
           "                shape = shape  # pooling has no parameters\n", (hint.POOL_KEEPS_SIZE,)),
    Mutant("ex05-conv-ignores-strides", EX05,
           "count_params ignores a conv layer's strides",
           '                sh, sw = _pair(layer.get("strides", 1), "strides")\n',
           "                sh, sw = 1, 1\n"),
    Mutant("ex05-same-shrinks-like-valid", EX05,
           "count_params shrinks the shape after 'same' layers as if they were 'valid'",
           "    if padding == \"same\":\n        return -(-n // s)  # ceil(n / s)\n",
           "    if padding == \"same\":\n        padding = \"valid\"\n"),
    Mutant("ex05-unknown-layer-skipped", EX05,
           "count_params skips a layer of unknown type instead of raising ValueError",
           "            raise ValueError(f\"{where} must be a dict whose 'type' is 'conv2d', 'max_pool2d', \"\n"
           "                             f\"'average_pool2d', 'flatten' or 'dense', got {layer!r}\")\n",
           "            continue\n"),
    Mutant("ex05-conv-bias-per-input-channel", EX05,
           "conv2d_params counts one bias per input channel",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return kh * kw * channels * count + (channels if use_bias else 0)\n", (hint.CONV_BIAS_PER_CHANNEL,)),
    Mutant("ex05-conv-bias-per-channel-and-filter", EX05,
           "conv2d_params counts filters * (kh * kw * in_channels + in_channels)",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return count * (kh * kw * channels + (channels if use_bias else 0))\n",
           (hint.CONV_BIAS_PER_CHANNEL,)),
    Mutant("ex05-conv-forgets-the-bias", EX05,
           "conv2d_params counts the weights only",
           "    return kh * kw * channels * count + (count if use_bias else 0)\n",
           "    return kh * kw * channels * count\n", (hint.CONV_NO_BIAS,)),
    Mutant("ex05-dense-bias-per-input", EX05,
           "dense_params counts one bias per input",
           "    return inputs * count + (count if use_bias else 0)\n",
           "    return inputs * count + (inputs if use_bias else 0)\n", (hint.DENSE_BIAS_PER_INPUT,)),
    Mutant("ex05-conv-padding-defaults-to-same", EX05,
           "count_params takes a conv layer without a padding key as 'same'",
           '                filters = _positive_int(layer["filters"], "filters")\n'
           '                padding = layer.get("padding", "valid")\n',
           '                filters = _positive_int(layer["filters"], "filters")\n'
           '                padding = layer.get("padding", "same")\n', (hint.VALID_BY_DEFAULT,)),
]
