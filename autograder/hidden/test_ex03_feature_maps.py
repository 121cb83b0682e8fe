"""Hidden tests of exercise 3: `relu` and `feature_maps`, a convolutional layer in numpy (10 points).

Every expected answer comes from the reference solution run in this process; the student's answer comes
back from the sandbox as data and is judged by the check library, which names the likely mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises.checks import call_text, check_array, check_raises_value_error, check_unchanged

FLIPPED = "you flipped the kernels: a convolutional layer cross-correlates, the kernels are used as they are"
CHANNELS_FIRST = ("the maps are stacked on the first axis (K, H, W): Keras stacks them last, (H, W, K); "
                  "use np.stack(maps, axis=-1)")
RESHAPED = ("reshape does not move axes: (K, H, W) reshaped to (H, W, K) scrambles the maps; "
            "stack them with np.stack(maps, axis=-1) or use np.moveaxis")
TOP_LEFT = ("'same' padding with an even kernel puts the extra zero row/column at the bottom/right, as "
            "TensorFlow does: (kh - 1) // 2 rows on top, the rest at the bottom")


def _layout_mistakes(expected: np.ndarray) -> list:
    """Answers with the right numbers in the wrong layout."""
    channels_first = np.moveaxis(expected, -1, 0)  # (K, H', W')
    return [(channels_first, CHANNELS_FIRST), (channels_first.reshape(expected.shape), RESHAPED)]


def _top_left_padded_maps(reference, image, kernels):
    """What 'same' gives when the extra zero goes on top/left: 'valid' maps of a top-left-heavy padded image."""
    kh, kw = kernels.shape[:2]
    top, left = kh // 2, kw // 2  # the extra zero on top/left instead of at the bottom/right
    pads = ((top, kh - 1 - top), (left, kw - 1 - left)) + ((0, 0),) * (image.ndim - 2)
    return reference.feature_maps(np.pad(image.astype(np.float64), pads), kernels, padding="valid")


@pytest.mark.points(1)
def test_relu_zeroes_the_negative_values(student, reference, rng):
    x = rng.normal(size=(int(rng.integers(3, 7)), int(rng.integers(3, 7)), 2))
    expected = reference.relu(x)
    check_array(student.relu(x), expected, call_text("relu", x),
                mistakes=[(np.abs(x), "relu sets negative values to 0; np.abs flips their sign instead"),
                          (np.minimum(x, 0), "relu keeps the positive values: np.maximum(x, 0)")])


@pytest.mark.points(1)
def test_relu_of_an_integer_array_returns_floats(student, reference, rng):
    x = rng.integers(-100, 100, size=(int(rng.integers(3, 9)), int(rng.integers(3, 9)))).astype(np.int8)
    expected = reference.relu(x)
    check_array(student.relu(x), expected, call_text("relu", x),
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
    mistakes = _layout_mistakes(expected) + [
        (reference.feature_maps(image, kernels[::-1, ::-1]), FLIPPED),
        (_top_left_padded_maps(reference, image, kernels), TOP_LEFT),
        (reference.feature_maps(image, kernels, padding="valid"),
         "padding defaults to 'same': the maps keep the image's height and width"),
    ]
    check_array(student.feature_maps(image, kernels), expected, call_text("feature_maps", image, kernels),
                mistakes=mistakes)


@pytest.mark.points(1)
@pytest.mark.parametrize("shape, kernels_shape, padding", [
    pytest.param((8, 9, 3), (3, 2, 3, 2), "valid", id="H8-W9-C3-k3x2-K2-valid"),
    pytest.param((7, 6, 3), (5, 5, 3, 4), "same", id="H7-W6-C3-k5x5-K4-same-uint8"),
])
def test_feature_maps_of_a_multichannel_image_sum_the_channels(
        student, reference, rng, shape, kernels_shape, padding):
    if padding == "same":
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    else:
        image = rng.normal(size=shape)
    kernels = rng.normal(size=kernels_shape)
    expected = reference.feature_maps(image, kernels, padding=padding)
    mistakes = _layout_mistakes(expected) + [
        (reference.feature_maps(image[..., 0], kernels[:, :, 0, :], padding=padding),
         "only the first input channel was used: a map sums the correlations of all C channels"),
        (expected / shape[2], "the channels are summed, not averaged"),
        (reference.feature_maps(image, kernels[::-1, ::-1], padding=padding), FLIPPED),
    ]
    check_array(student.feature_maps(image, kernels, padding=padding), expected,
                call_text("feature_maps", image, kernels, padding=padding), mistakes=mistakes,
                hint="convert a uint8 image to float64 first" if image.dtype == np.uint8 else None)


@pytest.mark.points(1)
@pytest.mark.parametrize("activations", [
    pytest.param(("relu",), id="relu"),
    pytest.param(("sigmoid", "tanh"), id="sigmoid-and-tanh"),
])
def test_feature_maps_add_one_bias_per_map_then_apply_the_activation(student, reference, rng, activations):
    image = rng.normal(size=(7, 8, 2))
    kernels = rng.normal(size=(3, 3, 2, 3))
    bias = rng.normal(scale=2.0, size=3)
    functions = {"relu": reference.relu, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}
    for activation in activations:
        expected = reference.feature_maps(image, kernels, bias, "same", activation)
        plain = reference.feature_maps(image, kernels, None, "same", None)
        check_array(student.feature_maps(image, kernels, bias, "same", activation), expected,
                    call_text("feature_maps", image, kernels, bias, "same", activation),
                    mistakes=_layout_mistakes(expected) + [
                        (functions[activation](plain) + bias,
                         "the activation comes after the bias: activation(maps + bias)"),
                        (functions[activation](plain), "the bias was not added: map k gets bias[k]"),
                        (functions[activation](plain + bias[0]), "map k gets its own bias[k], not bias[0]"),
                        (plain + bias, f"the activation {activation!r} was not applied"),
                    ])


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
