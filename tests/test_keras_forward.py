"""The grader's numpy forward pass against Keras itself, on every layer and activation the LeNet judge accepts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from exercises import keras_forward, lenet_judge  # noqa: E402
from exercises.lenet_judge import ArchitectureError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
L = keras.layers
RNG = np.random.default_rng(20261202)
X = RNG.random((40, 28, 28, 1)).astype("float32")


def model_of(*layers, scale: float = 0.3):
    model = keras.Sequential([keras.Input((28, 28, 1)), *layers])
    model.set_weights([RNG.normal(scale=scale, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def ours(model, x=X):
    return keras_forward.predict(lenet_judge.model_layers(model.to_json()), model.get_weights(), x)


def keras_says(model, x=X):
    return model.predict(x, verbose=0)


MODELS = {
    "lenet-with-activation-arguments": lambda: model_of(
        L.Conv2D(6, 5, padding="same", activation="relu"), L.AveragePooling2D(2),
        L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(120, activation="relu"),
        L.Dense(84, activation="relu"), L.Dense(10, activation="softmax")),
    "lenet-with-activation-layers": lambda: model_of(
        L.Rescaling(2.0, offset=-1.0), L.Conv2D(6, 5, padding="same"), L.Activation("tanh"), L.AveragePooling2D(2),
        L.Conv2D(16, 5), L.ReLU(), L.MaxPooling2D(2), L.Flatten(), L.Dense(120), L.LeakyReLU(),
        L.Dense(84, activation="selu"), L.Dense(10), L.Softmax()),
    # An even kernel with "same" padding puts the extra zero row and column after the image, not before;
    # strides that do not divide the size, and pooling windows that overlap or leave gaps.
    "even-kernels-strides-same-pooling": lambda: model_of(
        L.Conv2D(5, (4, 3), strides=(2, 3), padding="same"), L.MaxPooling2D(3, strides=2, padding="same"),
        L.AveragePooling2D((2, 3), strides=(1, 2), padding="same"), L.Flatten(), L.Dense(7, use_bias=False)),
    "relu-options-and-odd-average-same": lambda: model_of(
        L.Conv2D(3, 4, padding="same", use_bias=False), L.AveragePooling2D(3, padding="same"),
        L.MaxPooling2D(2, strides=3), L.Flatten(), L.Dense(10), L.ReLU(max_value=1.5, negative_slope=0.1,
                                                                           threshold=0.2)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predictions_match_keras(name):
    model = MODELS[name]()
    np.testing.assert_allclose(ours(model), keras_says(model), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation", sorted(lenet_judge.ALLOWED_ACTIVATIONS))
def test_every_activation_the_judge_accepts_matches_keras(activation):
    model = model_of(L.Conv2D(4, 3, activation=activation), L.Flatten(), L.Dense(10, activation=activation))
    assert lenet_judge.check_allowed(lenet_judge.model_layers(model.to_json())) is None
    np.testing.assert_allclose(ours(model, X[:8]), keras_says(model, X[:8]), rtol=1e-4, atol=1e-4)


def test_the_bundled_sample_weights_give_keras_own_predictions():
    from exercises import data
    from solutions import ex06_lenet5

    model = ex06_lenet5.build_lenet5()
    model.load_weights(REPO / "examples" / "sample_class" / "ada_reference" / "lenet5.weights.h5")
    folder = os.environ.get("CONVKIT_DATA_DIR") or REPO.parent / "shared" / "datasets"
    images, _ = data.load_mnist("test", data_dir=folder)
    x = data.add_channel(data.to_float(images[:500]))
    mine, theirs = ours(model, x), keras_says(model, x)
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    assert np.array_equal(mine.argmax(1), theirs.argmax(1))


def test_weights_that_do_not_fit_the_architecture_are_refused():
    model = MODELS["lenet-with-activation-arguments"]()
    layers, weights = lenet_judge.model_layers(model.to_json()), model.get_weights()
    with pytest.raises(ArchitectureError, match="do not fit its architecture"):
        keras_forward.predict(layers, weights[:-1], X)
    with pytest.raises(ArchitectureError, match="do not fit its architecture"):
        keras_forward.predict(layers, [w.T for w in weights], X)
    with pytest.raises(ArchitectureError, match="do not fit its architecture"):
        keras_forward.predict(layers, [w.astype(np.int64) for w in weights], X)


def test_a_layer_or_option_it_cannot_evaluate_is_refused_by_name():
    dilated = model_of(L.Conv2D(2, 3, dilation_rate=2), L.Flatten(), L.Dense(3))
    with pytest.raises(ArchitectureError, match=r"layer 1 \(Conv2D\).*dilation"):
        ours(dilated)
    dropout = model_of(L.Flatten(), L.Dropout(0.5), L.Dense(3))
    with pytest.raises(ArchitectureError, match=r"layer 2 \(Dropout\)"):
        ours(dropout)


def test_a_model_far_larger_than_lenet_is_refused_before_any_computation():
    layers = [{"class_name": "Conv2D", "module": "keras.layers",
               "config": {"filters": 100_000, "kernel_size": [5, 5], "padding": "same"}}]
    with pytest.raises(ArchitectureError, match="far too large"):
        keras_forward.predict(layers, [], X)
