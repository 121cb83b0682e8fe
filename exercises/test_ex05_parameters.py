"""Public tests for exercise 5 (`conv2d_params`, `dense_params`, `count_params`):
run `pytest exercises/test_ex05_parameters.py`.

Every expected count is written as its formula, so a failing case shows where the parameters come from.
"""

from __future__ import annotations

import pytest

from exercises import ex05_parameters as ex
from exercises.checks import call_text, check_int, check_raises_value_error
from exercises.mistakes import (
    POOL_KEEPS_SIZE,
    VALID_BY_DEFAULT,
    conv_params_mistakes,
    count_params_mistakes,
    dense_params_mistakes,
)

LENET5 = [
    {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
    {"type": "average_pool2d", "pool_size": 2},
    {"type": "conv2d", "filters": 16, "kernel_size": 5},
    {"type": "average_pool2d", "pool_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 120},
    {"type": "dense", "units": 84},
    {"type": "dense", "units": 10},
]


@pytest.mark.parametrize("args, kwargs, weights, biases", [
    pytest.param((3, 1, 4), {}, 3 * 3 * 1 * 4, 4, id="four-3x3-kernels-with-biases-40"),
    pytest.param((3, 1, 4), {"use_bias": False}, 3 * 3 * 1 * 4, 0, id="four-3x3-kernels-36-weights"),
    pytest.param((3, 3, 4), {"use_bias": False}, 3 * 3 * 3 * 4, 0, id="rgb-triples-the-weights-108"),
    pytest.param((3, 3, 4), {}, 3 * 3 * 3 * 4, 4, id="rgb-with-biases-112"),
    pytest.param((5, 1, 6), {}, 5 * 5 * 1 * 6, 6, id="lenet5-first-conv-156"),
    pytest.param((5, 6, 16), {}, 5 * 5 * 6 * 16, 16, id="lenet5-second-conv-2416"),
    pytest.param(((3, 5), 2, 4), {}, 3 * 5 * 2 * 4, 4, id="non-square-3x5-kernel"),
])
def test_conv2d_params_counts_weights_and_one_bias_per_filter(args, kwargs, weights, biases):
    check_int(ex.conv2d_params(*args, **kwargs), weights + biases, call_text("conv2d_params", *args, **kwargs),
              mistakes=conv_params_mistakes(*args, **kwargs))


@pytest.mark.parametrize("args, kwargs, weights, biases", [
    pytest.param((28 * 28, 1), {"use_bias": False}, 784, 0, id="one-unit-on-a-28x28-image-784"),
    pytest.param((400, 120), {}, 400 * 120, 120, id="lenet5-dense-120"),
    pytest.param((120, 84), {}, 120 * 84, 84, id="lenet5-dense-84"),
    pytest.param((84, 10), {}, 84 * 10, 10, id="lenet5-output-10"),
])
def test_dense_params_counts_one_weight_per_input_and_unit(args, kwargs, weights, biases):
    check_int(ex.dense_params(*args, **kwargs), weights + biases, call_text("dense_params", *args, **kwargs),
              mistakes=dense_params_mistakes(*args, **kwargs))


def test_lenet5_has_61706_parameters():
    # (28, 28, 1) -> conv same (28, 28, 6) -> pool (14, 14, 6) -> conv valid (10, 10, 16) -> pool (5, 5, 16)
    # -> flatten (400,) -> (120,) -> (84,) -> (10,)
    layer_counts = [5 * 5 * 1 * 6 + 6, 0, 5 * 5 * 6 * 16 + 16, 0, 0, 400 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10]
    expected = sum(layer_counts)
    check_int(ex.count_params(LENET5, (28, 28, 1)), expected, "count_params(LeNet-5 layers, (28, 28, 1))",
              mistakes=count_params_mistakes(LENET5, layer_counts) + [
                  (expected - 400 * 120 + 24 * 24 * 16 * 120, POOL_KEEPS_SIZE),  # 28 - 5 + 1 = 24, no halving
                  (expected - 400 * 120 + 7 * 7 * 16 * 120, VALID_BY_DEFAULT)])  # the second conv 'same': 14, 7


# layers, input_shape, the parameters of each layer.
@pytest.mark.parametrize("layers, input_shape, layer_counts", [
    pytest.param([{"type": "conv2d", "filters": 4, "kernel_size": 3}, {"type": "flatten"},
                  {"type": "dense", "units": 10}], (8, 8, 1),
                 [3 * 3 * 1 * 4 + 4, 0, 6 * 6 * 4 * 10 + 10], id="valid-conv-shrinks-8x8-to-6x6"),
    pytest.param([{"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
                  {"type": "flatten"}, {"type": "dense", "units": 10}], (28, 28, 1),
                 [3 * 3 * 1 * 8 + 8, 0, 14 * 14 * 8 * 10 + 10], id="stride-2-same-gives-14x14"),
    pytest.param([{"type": "max_pool2d", "pool_size": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}],
                 (28, 28, 1), [0, 0, 14 * 14 * 1 * 10 + 10], id="pooling-has-no-parameters-but-halves-the-size"),
    pytest.param([{"type": "conv2d", "filters": 4, "kernel_size": (3, 5), "use_bias": False}],
                 (32, 32, 3), [3 * 5 * 3 * 4], id="rgb-input-3x5-kernels-no-bias"),
    pytest.param([{"type": "conv2d", "filters": 4, "kernel_size": 3}, {"type": "conv2d", "filters": 2,
                                                                      "kernel_size": 3}], (8, 8, 3),
                 [3 * 3 * 3 * 4 + 4, 3 * 3 * 4 * 2 + 2], id="the-second-conv-sees-the-first-ones-4-filters"),
    pytest.param([{"type": "flatten"}, {"type": "dense", "units": 1, "use_bias": False}], (28, 28, 1),
                 [0, 784], id="one-dense-unit-on-a-flattened-28x28-image"),
    pytest.param([{"type": "dense", "units": 5}], (4, 4, 3), [3 * 5 + 5], id="dense-on-hwc-acts-on-the-last-axis"),
])
def test_count_params_follows_the_shape_through_the_layers(layers, input_shape, layer_counts):
    check_int(ex.count_params(layers, input_shape), sum(layer_counts), call_text("count_params", layers, input_shape),
              mistakes=count_params_mistakes(layers, layer_counts))


@pytest.mark.parametrize("layers, input_shape, rule", [
    pytest.param([{"type": "conv3d", "filters": 4, "kernel_size": 3}], (8, 8, 1), "a layer type is unknown",
                 id="unknown-type-conv3d"),
    pytest.param([{"type": "conv2d", "kernel_size": 3}], (8, 8, 1), "a required key (filters) is missing",
                 id="conv-without-filters"),
    pytest.param([{"type": "flatten"}, {"type": "conv2d", "filters": 4, "kernel_size": 3}], (8, 8, 1),
                 "a conv layer gets a flattened input", id="conv-after-flatten"),
    pytest.param([{"type": "conv2d", "filters": 4, "kernel_size": 9}], (8, 8, 1),
                 "a 'valid' kernel is larger than its input", id="9x9-kernel-on-8x8-valid"),
])
def test_count_params_rejects_bad_layers(layers, input_shape, rule):
    check_raises_value_error(lambda: ex.count_params(layers, input_shape),
                             call_text("count_params", layers, input_shape), rule=rule)


@pytest.mark.parametrize("function, args, rule", [
    pytest.param("conv2d_params", (0, 1, 4), "kernel_size is less than 1", id="conv-kernel-size-0"),
    pytest.param("conv2d_params", (3, 0, 4), "in_channels is less than 1", id="conv-in-channels-0"),
    pytest.param("conv2d_params", (3, 1, -4), "filters is less than 1", id="conv-negative-filters"),
    pytest.param("dense_params", (0, 10), "in_features is less than 1", id="dense-in-features-0"),
    pytest.param("dense_params", (784, 0), "units is less than 1", id="dense-units-0"),
])
def test_sizes_below_one_raise_value_error(function, args, rule):
    check_raises_value_error(lambda: getattr(ex, function)(*args), call_text(function, *args), rule=rule)
