"""Hidden tests of exercise 5: `conv2d_params`, `dense_params` and `count_params` (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
Layer stacks are random but always valid: every window fits the shape that reaches it.
"""

from __future__ import annotations

import pytest

from exercises.checks import call_text, check_int, check_raises_value_error
from exercises.mistakes import conv_params_mistakes, count_params_mistakes, dense_params_mistakes, stack_mistakes


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
              mistakes=conv_params_mistakes(kernel_size, channels, filters))


@pytest.mark.points(1)
def test_conv2d_params_without_bias_counts_only_the_weights(student, reference, rng):
    kh, kw, channels, filters = (int(v) for v in rng.integers(2, 9, size=4))
    expected = reference.conv2d_params((kh, kw), channels, filters, use_bias=False)
    check_int(student.conv2d_params((kh, kw), channels, filters, use_bias=False), expected,
              call_text("conv2d_params", (kh, kw), channels, filters, use_bias=False),
              mistakes=conv_params_mistakes((kh, kw), channels, filters, use_bias=False))


@pytest.mark.points(1)
def test_dense_params_counts_one_weight_per_input_and_unit_plus_one_bias_per_unit(student, reference, rng):
    in_features, units = int(rng.integers(10, 1000)), int(rng.integers(2, 130))
    expected = reference.dense_params(in_features, units)
    check_int(student.dense_params(in_features, units), expected, call_text("dense_params", in_features, units),
              mistakes=dense_params_mistakes(in_features, units))


@pytest.mark.points(1)
def test_dense_params_without_bias_counts_only_the_weights(student, reference, rng):
    in_features, units = int(rng.integers(10, 1000)), int(rng.integers(2, 130))
    expected = reference.dense_params(in_features, units, use_bias=False)
    check_int(student.dense_params(in_features, units, use_bias=False), expected,
              call_text("dense_params", in_features, units, use_bias=False),
              mistakes=dense_params_mistakes(in_features, units, use_bias=False))


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


def _count_text(layers: list[dict], input_shape: tuple[int, ...]) -> str:
    """`count_params([conv2d, max_pool2d, ...], (28, 28, 1))`: the call, with the layer types spelled out."""
    return f"count_params([{', '.join(str(layer['type']) for layer in layers)}], {input_shape})"


def _layer_counts(reference, layers: list[dict], input_shape: tuple[int, ...]) -> list[int]:
    """The reference's parameters of each layer: the counts of the stack's growing prefixes, differenced."""
    totals = [reference.count_params(layers[:end], input_shape) for end in range(len(layers) + 1)]
    return [after - before for before, after in zip(totals[:-1], totals[1:], strict=True)]


@pytest.mark.points(1)
@pytest.mark.parametrize("case", ["lenet", "rgb", "strides", "odd"])
def test_count_params_follows_the_shape_through_a_random_lenet_like_stack(student, reference, rng, case):
    layers, input_shape = _random_stack(rng, case)
    expected = reference.count_params(layers, input_shape)
    mistakes = count_params_mistakes(layers, _layer_counts(reference, layers, input_shape))
    for wrong_layers, hint in stack_mistakes(layers):
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
