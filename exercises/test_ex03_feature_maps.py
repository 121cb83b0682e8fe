"""Public tests for exercise 3 (`relu`, `feature_maps`): run `pytest exercises/test_ex03_feature_maps.py`.

Each case is small enough to check by hand. A failing test prints what was checked, the worst wrong element
and, when the answer matches a common mistake, a hint naming it.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex03_feature_maps as ex
from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import (
    bias_activation_mistakes,
    feature_maps_mistakes,
    layout_mistakes,
    relu_mistakes,
    uint8_mistakes,
)


def test_relu_keeps_positive_values_and_zeroes_the_rest():
    x = np.array([-2, 0, 3], dtype=np.int8)
    check_array(ex.relu(x), np.array([0.0, 0.0, 3.0]), call_text("relu", x), mistakes=relu_mistakes(x))


def test_relu_works_on_any_shape():
    x = np.array([[-1.5, 2.5], [0.25, -0.0]])
    check_array(ex.relu(x), np.array([[0.0, 2.5], [0.25, 0.0]]), call_text("relu", x), mistakes=relu_mistakes(x))


def test_relu_does_not_modify_its_input():
    x = np.array([[-1.5, 2.5], [0.25, -3.0]])
    before = x.copy()
    ex.relu(x)
    check_unchanged(before, x, call_text("relu", x) + ": the x argument")


def test_four_3x3_kernels_on_a_28x28_image_give_28x28x4():
    image = (np.arange(28 * 28) % 13).reshape(28, 28).astype(np.uint8)
    kernels = np.stack([np.eye(3), np.ones((3, 3)) / 9, [[-1, 0, 1]] * 3, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]],
                       axis=-1)  # (3, 3, 4)
    padded = np.pad(image.astype(float), 1)  # 'same' with a 3x3 kernel: one zero on every side

    def under(a, b):
        """The pixels that kernel weight (a, b) multiplies, for all 28x28 outputs at once."""
        return padded[a:a + 28, b:b + 28]

    expected = np.stack([under(0, 0) + under(1, 1) + under(2, 2),  # the diagonal kernel
                         sum(under(a, b) for a in range(3) for b in range(3)) / 9,  # the 3x3 mean
                         sum(under(a, 2) - under(a, 0) for a in range(3)),  # right column minus left column
                         under(1, 1)], axis=-1)  # the centre kernel: the image itself; (28, 28, 4)
    flipped = expected * [1, 1, -1, 1]  # only the third kernel changes when turned by 180 degrees: its sign
    check_array(ex.feature_maps(image, kernels), expected, call_text("feature_maps", image, kernels),
                mistakes=feature_maps_mistakes(expected, kernels.shape, flipped=flipped))


def test_valid_padding_shrinks_each_map_by_k_minus_one():
    image = np.arange(20.0).reshape(4, 5)
    kernels = np.arange(12.0).reshape(2, 2, 3) - 5  # (kh, kw, K) = (2, 2, 3)
    expected = np.array([[[27, 39, 51], [25, 41, 57], [23, 43, 63], [21, 45, 69]],
                         [[17, 49, 81], [15, 51, 87], [13, 53, 93], [11, 55, 99]],
                         [[7, 59, 111], [5, 61, 117], [3, 63, 123], [1, 65, 129]]], dtype=float)  # (3, 4, 3)
    # e.g. map 0 at (0, 0): 0 * -5 + 1 * -2 + 5 * 1 + 6 * 4 = 27
    check_array(ex.feature_maps(image, kernels, padding="valid"), expected,
                call_text("feature_maps", image, kernels, padding="valid"),
                mistakes=feature_maps_mistakes(expected, kernels.shape, "valid"))


def test_same_padding_with_an_even_kernel_pads_the_extra_row_at_the_bottom():
    image = np.arange(9.0).reshape(3, 3)
    kernels = np.ones((2, 2, 1))
    expected = np.array([[8.0, 12.0, 7.0], [20.0, 24.0, 13.0], [13.0, 15.0, 8.0]])[:, :, None]  # 0 + 1 + 3 + 4 = 8
    top_left = np.array([[0, 1, 3], [3, 8, 12], [9, 20, 24]])[:, :, None]  # the extra zeros on top and left
    check_array(ex.feature_maps(image, kernels), expected, call_text("feature_maps", image, kernels),
                mistakes=feature_maps_mistakes(expected, kernels.shape, top_left=top_left))


def test_each_map_sums_over_all_input_channels():
    image = np.arange(40.0).reshape(4, 5, 2) % 7  # (H, W, C) = (4, 5, 2)
    kernels = np.arange(24.0).reshape(2, 2, 2, 3) % 5 - 2  # (kh, kw, C, K) = (2, 2, 2, 3)
    expected = np.array([[[-4, 5, -1], [-8, -7, 4], [-12, 9, -5], [-16, -3, 0]],
                         [[4, 1, 3], [-7, 10, -13], [-4, 5, -1], [-8, -7, 4]],
                         [[-16, -3, 0], [1, 6, -9], [4, 1, 3], [-7, 10, -13]]], dtype=float)  # (3, 4, 3)
    channel0 = np.array([[[3, 13, -2], [-8, 3, 14], [-12, 0, 2], [-9, 4, -3]],
                         [[-10, 5, 15], [-7, 2, -4], [3, 13, -2], [-8, 3, 14]],
                         [[-9, 4, -3], [1, 15, -1], [-10, 5, 15], [-7, 2, -4]]])  # input channel 0 only
    check_array(ex.feature_maps(image, kernels, padding="valid"), expected,
                call_text("feature_maps", image, kernels, padding="valid"),
                mistakes=feature_maps_mistakes(expected, kernels.shape, "valid",
                                               channel_maps=[channel0, expected - channel0]))


def test_each_map_gets_its_own_bias():
    image = np.arange(9.0).reshape(3, 3)
    kernels = np.stack([np.ones((2, 2)), -np.ones((2, 2))], axis=-1)  # (2, 2, 2)
    bias = np.array([0.5, -100.0])
    plain = np.array([[[8.0, -8.0], [12.0, -12.0]], [[20.0, -20.0], [24.0, -24.0]]])  # 0 + 1 + 3 + 4 = 8
    check_array(ex.feature_maps(image, kernels, bias, padding="valid"), plain + bias,
                call_text("feature_maps", image, kernels, bias, padding="valid"),
                mistakes=layout_mistakes(plain + bias) + bias_activation_mistakes(plain, bias, None))


@pytest.mark.parametrize("activation, function", [
    pytest.param("relu", lambda z: np.maximum(z, 0.0), id="relu"),
    pytest.param("sigmoid", lambda z: 1.0 / (1.0 + np.exp(-z)), id="sigmoid"),
    pytest.param("tanh", np.tanh, id="tanh"),
])
def test_the_activation_comes_after_the_bias(activation, function):
    image = np.array([[1.0, -2.0, 0.5], [0.0, 1.5, -1.0], [2.0, -0.5, 1.0]])
    kernels = np.stack([[[1.0, 0.0], [0.0, 1.0]], [[0.0, -1.0], [1.0, 0.0]]], axis=-1)  # (2, 2, 2)
    bias = np.array([-1.0, 0.5])
    plain = np.array([[[2.5, 2.0], [-3.0, 1.0]], [[-0.5, 0.5], [2.5, 0.5]]])  # e.g. 1 + 1.5 = 2.5 and -(-2) + 0 = 2
    what = call_text("feature_maps", image, kernels, bias, padding="valid", activation=activation)
    check_array(ex.feature_maps(image, kernels, bias, "valid", activation), function(plain + bias), what,
                mistakes=bias_activation_mistakes(plain, bias, activation))


def test_uint8_images_give_float_maps():
    image = np.full((3, 3), 200, dtype=np.uint8)
    kernels = np.full((2, 2, 1), 2, dtype=np.uint8)
    expected = np.full((2, 2, 1), 1600.0)
    check_array(ex.feature_maps(image, kernels, padding="valid"), expected,
                call_text("feature_maps", image, kernels, padding="valid"),
                mistakes=uint8_mistakes(expected, wrapped_products=np.full((2, 2, 1), 4 * (200 * 2 % 256))))


def test_feature_maps_does_not_modify_its_inputs():
    image = np.arange(20.0).reshape(4, 5)
    kernels = np.ones((3, 3, 2))
    bias = np.array([1.0, -1.0])
    before = image.copy(), kernels.copy(), bias.copy()
    ex.feature_maps(image, kernels, bias, "same", "relu")
    what = call_text("feature_maps", image, kernels, bias, padding="same", activation="relu")
    for name, old, new in zip(("image", "kernels", "bias"), before, (image, kernels, bias), strict=True):
        check_unchanged(old, new, f"{what}: the {name} argument")


@pytest.mark.parametrize("image, kernels, kwargs, rule", [
    pytest.param(np.zeros((5, 5)), np.ones((3, 3)), {}, "kernels are not (kh, kw, K) for an (H, W) image",
                 id="2d-kernels-for-a-2d-image"),
    pytest.param(np.zeros((5, 5, 3)), np.ones((3, 3, 2, 4)), {}, "kernels have a different C than the image",
                 id="channels-mismatch-3-vs-2"),
    pytest.param(np.zeros((5, 5, 3)), np.ones((3, 3, 4)), {}, "kernels are not (kh, kw, C, K) for (H, W, C)",
                 id="3d-kernels-for-an-rgb-image"),
    pytest.param(np.zeros((5, 5)), np.ones((3, 3, 4)), {"bias": np.zeros(3)}, "bias is not of shape (K,)",
                 id="bias-of-3-for-4-kernels"),
    pytest.param(np.zeros((5, 5)), np.ones((3, 3, 4)), {"activation": "softmax"}, "the activation is unknown",
                 id="unknown-activation"),
    pytest.param(np.zeros((5, 5)), np.ones((3, 3, 4)), {"padding": "full"}, "padding is not 'same' or 'valid'",
                 id="unknown-padding"),
    pytest.param(np.zeros((2, 2)), np.ones((3, 3, 4)), {"padding": "valid"},
                 "the kernels are larger than the image with 'valid' padding", id="kernel-larger-than-image"),
])
def test_feature_maps_rejects_bad_arguments(image, kernels, kwargs, rule):
    check_raises_value_error(lambda: ex.feature_maps(image, kernels, **kwargs),
                             call_text("feature_maps", image, kernels, **kwargs), rule=rule)
