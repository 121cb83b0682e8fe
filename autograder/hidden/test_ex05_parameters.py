"""Hidden tests of exercise 5: `conv2d_params`, `dense_params` and `count_params` (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
Layer stacks are random but always valid: every window fits the shape that reaches it.
"""

from __future__ import annotations

import pytest

from exercises.checks import call_text, check_int, check_raises_value_error


def _conv_mistakes(kh: int, kw: int, channels: int, filters: int, use_bias: bool) -> list[tuple[int, str]]:
    weights = kh * kw * channels * filters
    bias = filters if use_bias else 0
    return [
        (kh * kw * filters + bias, "each kernel has one kh x kw slice per input channel: multiply by in_channels"),
        (2 * weights, "there is one bias per filter, not one per weight"),
        (weights + (0 if use_bias else filters),
         "one bias per filter when use_bias is True, none when it is False"),
        (kh * channels * filters + bias, "a kernel has kh * kw weights per channel (kernel_size k means k x k)"),
        (kh * kw * channels + bias, "multiply by the number of filters: each filter has its own kernel"),
    ]


@pytest.mark.points(1)
@pytest.mark.parametrize("rectangular, channels", [
    pytest.param(False, 1, id="k-by-k-grey"),
    pytest.param(True, 3, id="kh-by-kw-rgb"),
])
def test_conv2d_params_counts_the_weights_of_every_kernel_and_one_bias_per_filter(
        student, reference, rng, rectangular, channels):
    kh = int(rng.integers(1, 8))
    kw = int(rng.integers(1, 8)) if rectangular else kh
    kernel_size = (kh, kw) if rectangular else kh
    filters = int(rng.integers(2, 33))
    expected = reference.conv2d_params(kernel_size, channels, filters)
    check_int(student.conv2d_params(kernel_size, channels, filters), expected,
              call_text("conv2d_params", kernel_size, channels, filters),
              hint="kh * kw * in_channels * filters weights, plus filters biases",
              mistakes=_conv_mistakes(kh, kw, channels, filters, True))


@pytest.mark.points(1)
def test_conv2d_params_without_bias_counts_only_the_weights(student, reference, rng):
    kh, kw, channels, filters = (int(v) for v in rng.integers(2, 9, size=4))
    expected = reference.conv2d_params((kh, kw), channels, filters, use_bias=False)
    check_int(student.conv2d_params((kh, kw), channels, filters, use_bias=False), expected,
              call_text("conv2d_params", (kh, kw), channels, filters, use_bias=False),
              mistakes=_conv_mistakes(kh, kw, channels, filters, False))


@pytest.mark.points(1)
def test_dense_params_counts_one_weight_per_input_and_unit_plus_one_bias_per_unit(student, reference, rng):
    in_features, units = int(rng.integers(10, 1000)), int(rng.integers(2, 130))
    expected = reference.dense_params(in_features, units)
    check_int(student.dense_params(in_features, units), expected, call_text("dense_params", in_features, units),
              mistakes=[(in_features * units, "a Dense layer has one bias per unit (use_bias defaults to True)"),
                        (in_features * units + in_features, "there is one bias per unit, not one per input"),
                        (in_features + units, "every input is connected to every unit: in_features * units")])


@pytest.mark.points(1)
def test_dense_params_without_bias_counts_only_the_weights(student, reference, rng):
    in_features, units = int(rng.integers(10, 1000)), int(rng.integers(2, 130))
    expected = reference.dense_params(in_features, units, use_bias=False)
    check_int(student.dense_params(in_features, units, use_bias=False), expected,
              call_text("dense_params", in_features, units, use_bias=False),
              mistakes=[(in_features * units + units, "use_bias=False: no biases")])


def _random_stack(rng, case: str) -> tuple[list[dict], tuple[int, int, int]]:
    """A random LeNet-like layer stack that is valid for its input shape (every window fits)."""
    pool = str(rng.choice(["max_pool2d", "average_pool2d"]))
    units = [int(rng.integers(8, 130)), int(rng.integers(8, 90)), int(rng.integers(2, 11))]
    dense = [{"type": "flatten"}] + [{"type": "dense", "units": n} for n in units]
    if case == "lenet":
        shape = (28, 28, 1)
        layers = [{"type": "conv2d", "filters": int(rng.integers(4, 9)), "kernel_size": 5, "padding": "same"},
                  {"type": pool, "pool_size": 2},
                  {"type": "conv2d", "filters": int(rng.integers(10, 17)), "kernel_size": 5},
                  {"type": pool, "pool_size": 2}]
    elif case == "rgb":
        shape = (int(rng.integers(29, 34)), int(rng.integers(29, 34)), 3)
        layers = [{"type": "conv2d", "filters": int(rng.integers(4, 9)), "kernel_size": (3, 5)},
                  {"type": pool, "pool_size": 3, "strides": 2},
                  {"type": "conv2d", "filters": int(rng.integers(8, 17)), "kernel_size": 3, "padding": "same"},
                  {"type": pool, "pool_size": 2}]
    elif case == "strides":
        shape = (int(rng.integers(25, 33)), int(rng.integers(25, 33)), 1)
        layers = [{"type": "conv2d", "filters": int(rng.integers(4, 9)), "kernel_size": 3, "strides": 2,
                   "padding": "same", "use_bias": False},
                  {"type": "conv2d", "filters": int(rng.integers(8, 17)), "kernel_size": 3, "strides": 2},
                  {"type": pool, "pool_size": 2}]
        dense[1]["use_bias"] = False
    else:  # "odd": odd sizes that pooling does not divide evenly
        shape = (int(rng.integers(12, 20)) * 2 + 1, int(rng.integers(12, 20)) * 2 + 1, int(rng.integers(1, 4)))
        layers = [{"type": "conv2d", "filters": int(rng.integers(4, 9)), "kernel_size": (4, 3)},
                  {"type": pool, "pool_size": 2},
                  {"type": "conv2d", "filters": int(rng.integers(8, 17)), "kernel_size": 5},
                  {"type": pool, "pool_size": 3}]
    return layers + dense, shape


def _edited(layers: list[dict], types: tuple[str, ...], drop: tuple[str, ...] = (), **changes) -> list[dict]:
    """The stack with the layers of some types changed: keys dropped or set (the other layers untouched)."""
    return [{**{k: v for k, v in layer.items() if k not in drop}, **changes} if layer["type"] in types
            else dict(layer) for layer in layers]


def _count_text(layers: list[dict], input_shape: tuple[int, ...]) -> str:
    """`count_params([conv2d, max_pool2d, ...], (28, 28, 1))`: the call, with the layer types spelled out."""
    return f"count_params([{', '.join(str(layer['type']) for layer in layers)}], {input_shape})"


POOLS, CONVS, DENSES = ("max_pool2d", "average_pool2d"), ("conv2d",), ("dense",)


@pytest.mark.points(1)
@pytest.mark.parametrize("case", ["lenet", "rgb", "strides", "odd"])
def test_count_params_follows_the_shape_through_a_random_lenet_like_stack(student, reference, rng, case):
    layers, input_shape = _random_stack(rng, case)
    expected = reference.count_params(layers, input_shape)
    candidates = [
        ([layer for layer in layers if layer["type"] not in POOLS],
         "pooling has no parameters but shrinks the maps: a dense layer after it sees fewer features"),
        (_edited(layers, CONVS, drop=("strides",)),
         "a stride shrinks the output: ceil(H / s) for 'same', floor((H - k) / s) + 1 for 'valid'"),
        (_edited(layers, CONVS, drop=("padding",)),
         "'same' padding keeps the size (ceil(H / s)); only 'valid' shrinks it"),
        (_edited(layers, CONVS, drop=("use_bias",)), "use_bias=False removes that conv layer's biases"),
        (_edited(layers, DENSES, drop=("use_bias",)), "use_bias=False removes that dense layer's biases"),
        (_edited(layers, CONVS, use_bias=False), "a Conv2D layer has one bias per filter"),
        (_edited(layers, DENSES, use_bias=False), "a Dense layer has one bias per unit"),
    ]
    mistakes = []
    for wrong_layers, hint in candidates:
        try:
            mistakes.append((reference.count_params(wrong_layers, input_shape), hint))
        except ValueError:  # the mistaken stack may not fit its input: then no student reaches that count
            pass
    check_int(student.count_params(layers, input_shape), expected, _count_text(layers, input_shape),
              hint="follow the shape layer by layer; a dense layer after flatten has H * W * C inputs",
              mistakes=mistakes)


@pytest.mark.points(1)
def test_count_params_rejects_an_unknown_layer_type(student, rng):
    layers, input_shape = _random_stack(rng, "lenet")
    position = int(rng.integers(0, len(layers)))
    bad = layers[:position] + [{"type": "lstm", "units": 8}] + layers[position:]
    check_raises_value_error(lambda: student.count_params(bad, input_shape), _count_text(bad, input_shape),
                             rule="a layer's 'type' is not one of 'conv2d', 'max_pool2d', 'average_pool2d', "
                                  "'flatten', 'dense'",
                             valid_call=lambda: student.count_params(layers, input_shape),
                             valid_what=_count_text(layers, input_shape))
