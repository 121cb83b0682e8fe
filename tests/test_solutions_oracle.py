"""The reference solutions of exercises 1-5 against independent oracles on seeded random inputs.

ex01 is checked against scipy.signal; padding, stride, feature maps, pooling and parameter counts against
TensorFlow / Keras (tf.nn.conv2d, keras.layers.Conv2D with the same weights, MaxPooling2D, AveragePooling2D,
model.count_params()). TensorFlow is imported once for the module. Every case is named by its shape, e.g.
"H7-W9-k3x2-s2-same", and draws its inputs from a generator seeded by that name.
"""

from __future__ import annotations

import doctest
import os
import sys
import zlib

import numpy as np
import pytest
from scipy import signal

from solutions import ex01_convolution, ex02_padding, ex03_feature_maps, ex04_pooling, ex05_parameters

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def keras(tf):
    import keras

    return keras


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded by the test's id, so every case always sees the same inputs."""
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


def random_array(rng: np.random.Generator, shape: tuple, dtype: str = "float64") -> np.ndarray:
    """uint8 pixels in [0, 255] or standard normal float64 values."""
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.normal(size=shape)


def assert_close(got: np.ndarray, expected, *, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert type(got) is np.ndarray and got.dtype == np.float64, f"got {type(got).__name__} {got.dtype}"
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------------- ex01


CORRELATE_CASES = [
    pytest.param((7, 9), (3, 2), "float64", id="H7-W9-k3x2"),
    pytest.param((12, 6), (4, 5), "float64", id="H12-W6-k4x5"),
    pytest.param((6, 4), (1, 1), "float64", id="H6-W4-k1x1"),
    pytest.param((5, 8), (5, 8), "float64", id="H5-W8-k5x8-image-sized"),
    pytest.param((1, 9), (1, 4), "float64", id="H1-W9-k1x4-one-row"),
    pytest.param((28, 28), (3, 3), "uint8", id="H28-W28-k3x3-uint8"),
    pytest.param((10, 13), (2, 6), "uint8", id="H10-W13-k2x6-uint8"),
]


@pytest.mark.parametrize("shape, kernel_shape, dtype", CORRELATE_CASES)
def test_correlate2d_equals_scipy(rng, shape, kernel_shape, dtype):
    image, kernel = random_array(rng, shape, dtype), random_array(rng, kernel_shape, dtype)
    expected = signal.correlate2d(image.astype(float), kernel.astype(float), mode="valid")
    assert_close(ex01_convolution.correlate2d(image, kernel), expected, rtol=1e-12)


@pytest.mark.parametrize("shape, kernel_shape, dtype", CORRELATE_CASES)
def test_convolve2d_equals_scipy(rng, shape, kernel_shape, dtype):
    image, kernel = random_array(rng, shape, dtype), random_array(rng, kernel_shape, dtype)
    expected = signal.convolve2d(image.astype(float), kernel.astype(float), mode="valid")
    assert_close(ex01_convolution.convolve2d(image, kernel), expected, rtol=1e-12)


def executed_lines(function, *args) -> int:
    """How many Python lines a call executes (numpy's C loops count as none)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += event == "line"
        return tracer
    sys.settrace(tracer)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count


def test_correlate2d_on_512x512_has_no_python_loop_over_pixels():
    # Its speed is measured by benchmarks/conv.py; here, that the work is done by numpy, not by Python lines.
    rng = np.random.default_rng(512)
    image, kernel = rng.normal(size=(512, 512)), rng.normal(size=(5, 5))
    lines = executed_lines(ex01_convolution.correlate2d, image, kernel)
    pixel_loop = executed_lines(lambda: [float(image[i, j]) for i in range(8) for j in range(508)])
    assert pixel_loop > 4000, "the line counter must see a Python loop"
    assert lines < 2000, f"correlate2d ran {lines} Python lines on 512x512: it loops over pixels or rows"


# ----------------------------------------------------------------------------------------------- ex02


def tf_paddings(kernel_shape: tuple, padding):
    """tf.nn.conv2d's padding argument for ours: "VALID"/"SAME", or explicit per-axis pairs."""
    if padding in ("valid", "same"):
        return padding.upper()
    ph, pw = (k - 1 for k in kernel_shape) if padding == "full" else (padding, padding)
    return [[0, 0], [ph, ph], [pw, pw], [0, 0]]


CONV2D_CASES = [
    pytest.param((7, 9), (3, 2), 1, "same", "float64", id="H7-W9-k3x2-s1-same"),
    pytest.param((7, 9), (3, 2), 2, "same", "float64", id="H7-W9-k3x2-s2-same"),
    pytest.param((8, 8), (2, 2), 1, "same", "float64", id="H8-W8-k2x2-s1-same-even-kernel"),
    pytest.param((8, 11), (4, 4), 3, "same", "float64", id="H8-W11-k4x4-s3-same-even-kernel"),
    pytest.param((3, 3), (5, 5), 1, "same", "float64", id="H3-W3-k5x5-s1-same-kernel-larger-than-image"),
    pytest.param((6, 6), (1, 1), 2, "same", "float64", id="H6-W6-k1x1-s2-same"),
    pytest.param((28, 28), (5, 5), 1, "same", "uint8", id="H28-W28-k5x5-s1-same-uint8"),
    pytest.param((9, 4), (4, 2), 3, "same", "uint8", id="H9-W4-k4x2-s3-same-uint8"),
    pytest.param((5, 6), (3, 3), 2, "valid", "float64", id="H5-W6-k3x3-s2-valid"),
    pytest.param((10, 7), (3, 3), 3, "valid", "float64", id="H10-W7-k3x3-s3-valid"),
    pytest.param((6, 5), (6, 5), 1, "valid", "float64", id="H6-W5-k6x5-s1-valid-image-sized"),
    pytest.param((12, 9), (2, 5), 2, "valid", "uint8", id="H12-W9-k2x5-s2-valid-uint8"),
    pytest.param((5, 7), (2, 3), 1, "full", "float64", id="H5-W7-k2x3-s1-full"),
    pytest.param((5, 7), (3, 3), 2, "full", "float64", id="H5-W7-k3x3-s2-full"),
    pytest.param((6, 5), (3, 3), 1, 1, "float64", id="H6-W5-k3x3-s1-pad1"),
    pytest.param((6, 5), (3, 2), 2, 2, "uint8", id="H6-W5-k3x2-s2-pad2-uint8"),
    pytest.param((4, 4), (5, 5), 3, 1, "float64", id="H4-W4-k5x5-s3-pad1"),
]


@pytest.mark.parametrize("shape, kernel_shape, stride, padding, dtype", CONV2D_CASES)
def test_conv2d_equals_tf_nn_conv2d(tf, rng, shape, kernel_shape, stride, padding, dtype):
    image, kernel = random_array(rng, shape, dtype), random_array(rng, kernel_shape, dtype)
    expected = tf.nn.conv2d(image.astype(float)[None, :, :, None], kernel.astype(float)[:, :, None, None],
                            strides=stride, padding=tf_paddings(kernel_shape, padding))
    assert_close(ex02_padding.conv2d(image, kernel, padding, stride), expected.numpy()[0, :, :, 0])


@pytest.mark.parametrize("shape, kernel_shape", [
    pytest.param((5, 7), (2, 3), id="H5-W7-k2x3"),
    pytest.param((4, 4), (4, 4), id="H4-W4-k4x4"),
])
def test_conv2d_full_with_stride_1_equals_scipy_full(rng, shape, kernel_shape):
    image, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    assert_close(ex02_padding.conv2d(image, kernel, "full"), signal.correlate2d(image, kernel, mode="full"))


@pytest.mark.parametrize("padding", ["valid", "same", "full", 0, 1, 2])
def test_output_size_equals_the_shape_tensorflow_gives(tf, padding):
    for n in range(1, 10):
        for k in range(1, 6):
            for stride in (1, 2, 3):
                p = k - 1 if padding == "full" else 0 if padding in ("valid", "same") else padding
                if padding != "same" and k > n + 2 * p:
                    with pytest.raises(ValueError):
                        ex02_padding.output_size(n, k, padding, stride)
                    continue
                out = tf.nn.conv2d(tf.zeros((1, n, 1, 1)), tf.zeros((k, 1, 1, 1)), strides=stride,
                                   padding=tf_paddings((k, 1), padding))
                got = ex02_padding.output_size(n, k, padding, stride)
                assert type(got) is int and got == out.shape[1], (n, k, stride, padding)


@pytest.mark.parametrize("shape, pad", [
    pytest.param((4, 5), 2, id="H4-W5-pad2"),
    pytest.param((3, 3), ((0, 1), (2, 0)), id="H3-W3-pad-top0-bottom1-left2-right0"),
    pytest.param((4, 5, 3), 1, id="H4-W5-C3-pad1-channels-untouched"),
    pytest.param((2, 6, 2), ((1, 3), (0, 0)), id="H2-W6-C2-pad-rows-only"),
])
def test_zero_pad_equals_tf_pad(tf, rng, shape, pad):
    image = random_array(rng, shape, "uint8")
    pairs = [[pad, pad], [pad, pad]] if isinstance(pad, int) else [list(p) for p in pad]
    expected = tf.pad(image.astype(float), pairs + [[0, 0]] * (image.ndim - 2))
    assert_close(ex02_padding.zero_pad(image, pad), expected.numpy())


# ----------------------------------------------------------------------------------------------- ex03


def test_relu_equals_tf_nn_relu(tf, rng):
    x = rng.normal(size=(4, 5, 3))
    assert_close(ex03_feature_maps.relu(x), tf.nn.relu(x).numpy())


FEATURE_MAP_CASES = [
    pytest.param((28, 28), (3, 3, 4), "same", None, False, "uint8", id="H28-W28-C1-k3x3-K4-same"),
    pytest.param((9, 7, 3), (4, 3, 3, 5), "same", "relu", True, "float64", id="H9-W7-C3-k4x3-K5-same-relu-bias"),
    pytest.param((8, 8, 2), (2, 2, 2, 3), "same", "sigmoid", True, "float64", id="H8-W8-C2-k2x2-K3-same-sigmoid"),
    pytest.param((6, 10), (3, 5, 2), "valid", "tanh", True, "uint8", id="H6-W10-C1-k3x5-K2-valid-tanh-uint8"),
    pytest.param((5, 5, 3), (5, 5, 3, 2), "valid", None, True, "float64", id="H5-W5-C3-k5x5-K2-valid-image-sized"),
    pytest.param((7, 6, 4), (1, 1, 4, 3), "same", "relu", True, "float64", id="H7-W6-C4-k1x1-K3-same-relu"),
    pytest.param((4, 4), (5, 5, 2), "same", None, False, "float64", id="H4-W4-C1-k5x5-K2-same-kernel-larger"),
    pytest.param((12, 9, 3), (3, 3, 3, 6), "valid", "relu", True, "uint8", id="H12-W9-C3-k3x3-K6-valid-relu-uint8"),
]


@pytest.mark.parametrize("shape, kernels_shape, padding, activation, with_bias, dtype", FEATURE_MAP_CASES)
def test_feature_maps_equal_keras_conv2d(keras, rng, shape, kernels_shape, padding, activation, with_bias, dtype):
    image = random_array(rng, shape, dtype)
    kernels = rng.normal(size=kernels_shape)
    bias = rng.normal(size=kernels_shape[-1]) if with_bias else None
    x = image.astype(float).reshape(1, shape[0], shape[1], -1)  # (1, H, W, C)
    weights = kernels.reshape(kernels_shape[0], kernels_shape[1], x.shape[-1], kernels_shape[-1])
    layer = keras.layers.Conv2D(kernels_shape[-1], kernels_shape[:2], padding=padding, activation=activation,
                                use_bias=with_bias, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([weights, bias] if with_bias else [weights])
    expected = keras.ops.convert_to_numpy(layer(x))[0]
    assert_close(ex03_feature_maps.feature_maps(image, kernels, bias, padding, activation), expected)


# ----------------------------------------------------------------------------------------------- ex04


POOL_CASES = [
    pytest.param((4, 4), 2, None, "float64", id="H4-W4-p2"),
    pytest.param((5, 7, 3), 2, 1, "float64", id="H5-W7-C3-p2-s1"),
    pytest.param((9, 9, 2), 3, 2, "float64", id="H9-W9-C2-p3-s2"),
    pytest.param((6, 8), 2, 3, "float64", id="H6-W8-p2-s3"),
    pytest.param((7, 5, 1), 2, None, "float64", id="H7-W5-C1-p2-odd-sizes"),
    pytest.param((28, 28, 6), 2, None, "uint8", id="H28-W28-C6-p2-uint8"),
    pytest.param((5, 5), 5, None, "uint8", id="H5-W5-p5-image-sized"),
    pytest.param((3, 5, 2), 1, 2, "float64", id="H3-W5-C2-p1-s2"),
]


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("shape, pool_size, stride, dtype", POOL_CASES)
def test_pooling_equals_keras(keras, rng, kind, shape, pool_size, stride, dtype):
    x = random_array(rng, shape, dtype)
    layer_class = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    layer = layer_class(pool_size, strides=stride, dtype="float64")
    expected = keras.ops.convert_to_numpy(layer(x.astype(float).reshape(1, shape[0], shape[1], -1)))[0]
    function = ex04_pooling.max_pool2d if kind == "max" else ex04_pooling.average_pool2d
    assert_close(function(x, pool_size, stride), expected.reshape(expected.shape[:2] + shape[2:]))


# ----------------------------------------------------------------------------------------------- ex05


def keras_layer(keras, spec: dict):
    """The keras layer a count_params layer dict describes."""
    options = {key: spec[key] for key in ("strides", "padding", "use_bias") if key in spec}
    if spec["type"] == "conv2d":
        return keras.layers.Conv2D(spec["filters"], spec["kernel_size"], **options)
    if spec["type"] in ("max_pool2d", "average_pool2d"):
        pool = keras.layers.MaxPooling2D if spec["type"] == "max_pool2d" else keras.layers.AveragePooling2D
        return pool(spec.get("pool_size", 2), **options)
    if spec["type"] == "flatten":
        return keras.layers.Flatten()
    return keras.layers.Dense(spec["units"], **options)


def lenet5(pool: str) -> list[dict]:
    return [{"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"}, {"type": pool, "pool_size": 2},
            {"type": "conv2d", "filters": 16, "kernel_size": 5}, {"type": pool, "pool_size": 2},
            {"type": "flatten"}, {"type": "dense", "units": 120}, {"type": "dense", "units": 84},
            {"type": "dense", "units": 10}]


NETWORK_CASES = [
    pytest.param(lenet5("average_pool2d"), (28, 28, 1), id="lenet5-average-pooling"),
    pytest.param(lenet5("max_pool2d"), (32, 32, 3), id="lenet5-max-pooling-on-32x32-rgb"),
    pytest.param([{"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
                  {"type": "flatten"}, {"type": "dense", "units": 10}], (28, 28, 1), id="conv-k3-s2-same"),
    pytest.param([{"type": "conv2d", "filters": 4, "kernel_size": (3, 5), "strides": (1, 2), "use_bias": False},
                  {"type": "conv2d", "filters": 7, "kernel_size": 2, "use_bias": False}, {"type": "flatten"},
                  {"type": "dense", "units": 3, "use_bias": False}], (17, 23, 3), id="rgb-k3x5-s1x2-no-bias"),
    pytest.param([{"type": "max_pool2d", "pool_size": 3, "strides": 2, "padding": "same"},
                  {"type": "conv2d", "filters": 5, "kernel_size": 1}, {"type": "average_pool2d", "pool_size": (2, 3)},
                  {"type": "flatten"}, {"type": "dense", "units": 4}], (11, 13, 2), id="pool-p3-s2-same-then-k1x1"),
    pytest.param([{"type": "dense", "units": 5}, {"type": "conv2d", "filters": 2, "kernel_size": 3},
                  {"type": "flatten"}, {"type": "dense", "units": 1}], (6, 6, 3), id="dense-on-hwc-last-axis"),
    pytest.param([{"type": "flatten"}, {"type": "dense", "units": 1, "use_bias": False}], (28, 28, 1),
                 id="one-dense-unit-on-28x28"),
    pytest.param([{"type": "conv2d", "filters": 3, "kernel_size": 9}], (9, 9, 2), id="k9-on-9x9-image-sized"),
]


@pytest.mark.parametrize("layers, input_shape", NETWORK_CASES)
def test_count_params_equals_keras(keras, layers, input_shape):
    model = keras.Sequential([keras.Input(shape=input_shape)] + [keras_layer(keras, spec) for spec in layers])
    got = ex05_parameters.count_params(layers, input_shape)
    assert type(got) is int and got == model.count_params()


@pytest.mark.parametrize("kernel_size, in_channels, filters, use_bias", [
    pytest.param(3, 1, 4, True, id="k3-C1-K4-bias"),
    pytest.param(3, 3, 4, False, id="k3-C3-K4-no-bias"),
    pytest.param((2, 7), 5, 6, True, id="k2x7-C5-K6-bias"),
])
def test_conv2d_params_equals_keras(keras, kernel_size, in_channels, filters, use_bias):
    layer = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    layer.build((None, 10, 10, in_channels))
    assert ex05_parameters.conv2d_params(kernel_size, in_channels, filters, use_bias) == layer.count_params()


@pytest.mark.parametrize("in_features, units, use_bias", [
    pytest.param(784, 1, False, id="784-to-1-no-bias"),
    pytest.param(400, 120, True, id="400-to-120-bias"),
])
def test_dense_params_equals_keras(keras, in_features, units, use_bias):
    layer = keras.layers.Dense(units, use_bias=use_bias)
    layer.build((None, in_features))
    assert ex05_parameters.dense_params(in_features, units, use_bias) == layer.count_params()


# ------------------------------------------------------------------------------------------ docstrings


@pytest.mark.parametrize("module", [ex01_convolution, ex02_padding, ex03_feature_maps, ex04_pooling,
                                    ex05_parameters], ids=lambda m: m.__name__.split(".")[-1])
def test_the_docstring_examples_hold(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
