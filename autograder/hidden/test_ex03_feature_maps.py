"""Hidden tests of exercise 3: `relu` and `feature_maps`, a convolutional layer in numpy (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged
from exercises.mistakes import (
    UINT8_WRAPPED,
    bias_activation_mistakes,
    feature_maps_mistakes,
    layout_mistakes,
    relu_mistakes,
    uint8_mistakes,
)


def _pads(kernels: np.ndarray, padding: str, extra_on_top: bool = False) -> tuple:
    """The ((top, bottom), (left, right)) zeros 'same' puts around the image (none for 'valid'); with
    `extra_on_top`, the extra zero of an even kernel goes on top/left instead of at the bottom/right."""
    if padding != "same":
        return (0, 0), (0, 0)
    kh, kw = kernels.shape[:2]
    top, left = (kh // 2, kw // 2) if extra_on_top else ((kh - 1) // 2, (kw - 1) // 2)
    return (top, kh - 1 - top), (left, kw - 1 - left)


def _padded(image: np.ndarray, pads: tuple) -> np.ndarray:
    return np.pad(image, pads + ((0, 0),) * (image.ndim - 2))  # keeps the image's dtype


def _top_left_padded_maps(reference, image, kernels):
    """What 'same' gives when the extra zero goes on top/left: 'valid' maps of a top-left-heavy padded image."""
    pads = _pads(kernels, "same", extra_on_top=True)
    return reference.feature_maps(_padded(image.astype(np.float64), pads), kernels, padding="valid")


def _channel_maps(reference, image, kernels, padding) -> list[np.ndarray]:
    """The right maps of each input channel alone, (H', W', K) each."""
    return [reference.feature_maps(image[..., c:c + 1], kernels[:, :, c:c + 1, :], padding=padding)
            for c in range(image.shape[2])]


def _wrapped_products(image, kernels, padding) -> np.ndarray:
    """What maps summed from uint8 products give: every product of a uint8 pixel and weight wraps modulo 256."""
    padded = _padded(image, _pads(kernels, padding))
    if padded.ndim == 2:
        padded, kernels = padded[:, :, None], kernels[:, :, None, :]
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernels.shape[:3])[:, :, 0]  # (H', W', kh, kw, C)
    return (windows[..., None] * kernels).sum(axis=(2, 3, 4)).astype(np.float64)  # uint8 * uint8 wraps


@pytest.mark.points(1)
def test_relu_zeroes_the_negative_values(student, reference, rng):
    x = rng.normal(size=(int(rng.integers(3, 7)), int(rng.integers(3, 7)), 2))
    expected = reference.relu(x)
    check_array(student.relu(x), expected, call_text("relu", x), mistakes=relu_mistakes(x))


@pytest.mark.points(1)
def test_relu_of_an_integer_array_returns_floats(student, reference, rng):
    x = rng.integers(-100, 100, size=(int(rng.integers(3, 9)), int(rng.integers(3, 9)))).astype(np.int8)
    expected = reference.relu(x)
    check_array(student.relu(x), expected, call_text("relu", x), mistakes=relu_mistakes(x),
                hint="return a float array, e.g. np.maximum(x.astype(np.float64), 0.0)")


@pytest.mark.points(1)
def test_relu_and_feature_maps_answer_without_modifying_their_inputs(student, reference, rng):
    x = rng.normal(size=(5, 6))
    x_before = x.copy()
    what = call_text("relu", x_before)
    check_array(student.relu(x), reference.relu(x_before), what)
    check_unchanged(x_before, x, f"{what}: the x argument")
    image, kernels, bias = rng.normal(size=(6, 7, 2)), rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3)
    before = [image.copy(), kernels.copy(), bias.copy()]
    what = call_text("feature_maps", *before, "same", "relu")
    check_array(student.feature_maps(image, kernels, bias, "same", "relu"),
                reference.feature_maps(*before, "same", "relu"), what)
    for name, old, new in zip(("image", "kernels", "bias"), before, (image, kernels, bias), strict=True):
        check_unchanged(old, new, f"{what}: the {name} argument")


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernels_shape", [
    pytest.param((9, 7), (3, 3, 4), id="H9-W7-k3x3-K4-same"),
    pytest.param((8, 10), (2, 4, 3), id="H8-W10-k2x4-K3-same"),
])
def test_feature_maps_of_a_grayscale_image_stack_one_map_per_kernel_on_the_last_axis(
        student, reference, rng, shape, kernels_shape):
    image = rng.normal(size=shape)
    kernels = rng.normal(size=kernels_shape)
    expected = reference.feature_maps(image, kernels)
    mistakes = feature_maps_mistakes(expected, kernels.shape,
                                     flipped=reference.feature_maps(image, kernels[::-1, ::-1]),
                                     top_left=_top_left_padded_maps(reference, image, kernels))
    check_array(student.feature_maps(image, kernels), expected, call_text("feature_maps", image, kernels),
                mistakes=mistakes)


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernels_shape, padding", [
    pytest.param((8, 9, 3), (3, 2, 3, 2), "valid", id="H8-W9-C3-k3x2-K2-valid"),
    pytest.param((7, 6, 3), (5, 5, 3, 4), "same", id="H7-W6-C3-k5x5-K4-same-uint8"),
])
def test_feature_maps_of_a_multichannel_image_sum_the_channels(
        student, reference, rng, shape, kernels_shape, padding):
    uint8 = padding == "same"
    if uint8:  # whose products wrap around at 256 unless computed in float
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        kernels = rng.integers(0, 4, size=kernels_shape, dtype=np.uint8)
    else:
        image = rng.normal(size=shape)
        kernels = rng.normal(size=kernels_shape)
    expected = reference.feature_maps(image, kernels, padding=padding)
    mistakes = feature_maps_mistakes(expected, kernels.shape, padding,
                                     flipped=reference.feature_maps(image, kernels[::-1, ::-1], padding=padding),
                                     channel_maps=_channel_maps(reference, image, kernels, padding))
    if uint8:
        mistakes += uint8_mistakes(expected, wrapped_products=_wrapped_products(image, kernels, padding))
    check_array(student.feature_maps(image, kernels, padding=padding), expected,
                call_text("feature_maps", image, kernels, padding=padding), mistakes=mistakes,
                hint=UINT8_WRAPPED if uint8 else None)


@pytest.mark.points(1)
@pytest.mark.parametrize("activations", [
    pytest.param(("relu",), id="relu"),
    pytest.param(("sigmoid", "tanh"), id="sigmoid-and-tanh"),
])
def test_feature_maps_add_one_bias_per_map_then_apply_the_activation(student, reference, rng, activations):
    image = rng.normal(size=(7, 8, 2))
    kernels = rng.normal(size=(3, 3, 2, 3))
    bias = rng.normal(scale=2.0, size=3)
    plain = reference.feature_maps(image, kernels, None, "same", None)
    for activation in activations:
        expected = reference.feature_maps(image, kernels, bias, "same", activation)
        check_array(student.feature_maps(image, kernels, bias, "same", activation), expected,
                    call_text("feature_maps", image, kernels, bias, "same", activation),
                    mistakes=layout_mistakes(expected) + bias_activation_mistakes(plain, bias, activation))


@pytest.mark.points(1)
def test_feature_maps_rejects_mismatched_channels_and_unknown_activations(student, rng):
    image = rng.normal(size=(int(rng.integers(5, 9)), int(rng.integers(5, 9)), 3))
    cases = [
        (image, rng.normal(size=(3, 3, 2, 4)), {}, "the kernels' input channels differ from the image's C"),
        (image[..., 0], rng.normal(size=(3, 3, 3, 4)), {},
         "a 2-D image gets kernels (kh, kw, K), not (kh, kw, C, K)"),
        (image, rng.normal(size=(3, 3, 3, 4)), {"activation": "softmax"},
         "activation is not None, 'relu', 'sigmoid' or 'tanh'"),
    ]
    matching = rng.normal(size=(3, 3, 3, 4))
    for img, kernels, kwargs, rule in cases:
        check_raises_value_error(lambda i=img, k=kernels, kw=kwargs: student.feature_maps(i, k, **kw),
                                 call_text("feature_maps", img, kernels, **kwargs), rule=rule,
                                 valid_call=lambda: student.feature_maps(image, matching),
                                 valid_what=call_text("feature_maps", image, matching))
