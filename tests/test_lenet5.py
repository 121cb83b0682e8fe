"""The LeNet-5 reference (solutions/ex06_lenet5.py): architecture, standardization, arguments, recipe.

The parameter counts are checked against exercise 5's `count_params` and the per-layer formulas; the
standardization constants against the MNIST training pixels; the recipe (marked slow, about 30 s plus the
TensorFlow import) against the 99 % test-accuracy target and the time budget. Run the slow test with
`CONVKIT_DATA_DIR=... pytest -m slow tests/test_lenet5.py`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from exercises import data
from solutions import ex06_lenet5 as ref
from solutions.ex05_parameters import count_params

SHARED_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
LENET5_LAYERS = [
    {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "conv2d", "filters": 16, "kernel_size": 5, "padding": "valid"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 120},
    {"type": "dense", "units": 84},
    {"type": "dense", "units": 10},
]


@pytest.fixture(scope="module")
def mnist():
    """(x_train, y_train, x_test, y_test): (N, 28, 28, 1) float32 in [0, 1] and uint8 labels."""
    folder = Path(os.environ.get("CONVKIT_DATA_DIR") or SHARED_DATASETS)
    if not (folder / "mnist").is_dir():
        pytest.fail(f"MNIST is not in {folder}/mnist; set CONVKIT_DATA_DIR to the folder holding mnist/")
    train_images, y_train = data.load_mnist("train", data_dir=folder)
    test_images, y_test = data.load_mnist("test", data_dir=folder)
    return (data.add_channel(data.to_float(train_images)), y_train,
            data.add_channel(data.to_float(test_images)), y_test)


def test_reference_has_61706_parameters_as_exercise_5_counts_them():
    model = ref.build_lenet5()
    assert model.count_params() == count_params(LENET5_LAYERS, (28, 28, 1)) == 61_706


def test_each_layer_has_the_parameters_of_its_formula():
    model = ref.build_lenet5()
    counts = {layer.name: layer.count_params() for layer in model.layers}
    assert counts == {
        "standardize": 0,
        "conv1": 5 * 5 * 1 * 6 + 6,  # 156
        "pool1": 0,
        "conv2": 5 * 5 * 6 * 16 + 16,  # 2,416
        "pool2": 0,
        "flatten": 0,
        "dense1": 400 * 120 + 120,  # 48,120
        "dense2": 120 * 84 + 84,  # 10,164
        "output": 84 * 10 + 10,  # 850
    }
    assert counts["conv1"] == 156


def test_layers_have_the_specified_kinds_settings_and_shapes():
    model = ref.build_lenet5()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Rescaling", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense", "Dense", "Dense"]
    shapes = [tuple(layer.output.shape) for layer in model.layers]
    assert shapes == [(None, 28, 28, 1), (None, 28, 28, 6), (None, 14, 14, 6), (None, 10, 10, 16),
                      (None, 5, 5, 16), (None, 400), (None, 120), (None, 84), (None, 10)]
    conv1, conv2 = model.get_layer("conv1").get_config(), model.get_layer("conv2").get_config()
    assert (conv1["filters"], tuple(conv1["kernel_size"]), conv1["padding"]) == (6, (5, 5), "same")
    assert (conv2["filters"], tuple(conv2["kernel_size"]), conv2["padding"]) == (16, (5, 5), "valid")
    assert model.get_layer("output").get_config()["activation"] == "softmax"


@pytest.mark.parametrize("input_shape, num_classes", [
    pytest.param((28, 28, 1), 3, id="3-classes"),
    pytest.param((32, 32, 3), 10, id="32x32-rgb"),
    pytest.param((12, 12, 1), 2, id="smallest-12x12"),
])
def test_other_shapes_and_class_counts_match_exercise_5(input_shape, num_classes):
    layers = LENET5_LAYERS[:-1] + [{"type": "dense", "units": num_classes}]
    model = ref.build_lenet5(input_shape, num_classes)
    assert model.count_params() == count_params(layers, input_shape)
    assert tuple(model.outputs[0].shape) == (None, num_classes)


def test_softmax_rows_sum_to_one():
    images = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    probabilities = ref.build_lenet5().predict(images, verbose=0)
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_the_rescaling_layer_standardizes_the_mnist_training_pixels(mnist):
    x_train = mnist[0]
    standardized = np.asarray(ref.build_lenet5().get_layer("standardize")(x_train[:20_000]))
    expected = (x_train[:20_000] - x_train.mean(dtype=np.float64)) / x_train.std(dtype=np.float64)
    np.testing.assert_allclose(standardized, expected, atol=1e-4)
    assert abs(x_train.mean(dtype=np.float64) - ref.MNIST_MEAN) < 1e-5
    assert abs(x_train.std(dtype=np.float64) - ref.MNIST_STD) < 1e-5


@pytest.mark.parametrize("kwargs", [
    pytest.param({"input_shape": (28, 28)}, id="two-dims"),
    pytest.param({"input_shape": (28, 28, 0)}, id="zero-channels"),
    pytest.param({"input_shape": (11, 28, 1)}, id="too-small-for-two-convs"),
    pytest.param({"input_shape": (28.0, 28, 1)}, id="float-size"),
    pytest.param({"num_classes": 1}, id="one-class"),
    pytest.param({"num_classes": 2.5}, id="float-classes"),
])
def test_build_rejects_bad_arguments_naming_them(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ref.build_lenet5(**kwargs)


@pytest.mark.parametrize("x_shape, y_shape, name", [
    pytest.param((8, 28, 28), (8,), "x_train", id="x-without-channel"),
    pytest.param((8, 28, 28, 1), (8, 1), "y_train", id="y-two-dims"),
    pytest.param((8, 28, 28, 1), (7,), "x_train and y_train", id="lengths-differ"),
    pytest.param((0, 28, 28, 1), (0,), "N > 0", id="empty"),
])
def test_train_rejects_bad_arrays_naming_them(x_shape, y_shape, name):
    with pytest.raises(ValueError, match=name):
        ref.train_lenet5(ref.build_lenet5(), np.zeros(x_shape, np.float32), np.zeros(y_shape, np.int64))


def test_training_is_repeatable_and_leaves_a_compiled_model_alone():
    rng = np.random.default_rng(1)
    x_train = rng.random((256, 28, 28, 1), dtype=np.float32)
    y_train = rng.integers(0, 10, size=256)
    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(5)
        model = ref.build_lenet5()
        history = ref.train_lenet5(model, x_train, y_train, epochs=2, seed=3, verbose=0)
        assert len(history.history["loss"]) == 2
        weights.append(model.get_weights())
    for first, second in zip(*weights, strict=True):
        np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)

    model = ref.build_lenet5()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    ref.train_lenet5(model, x_train, y_train, epochs=1, verbose=0)
    assert isinstance(model.optimizer, keras.optimizers.SGD)


def test_validation_data_gives_validation_curves_and_is_checked_like_the_training_pair():
    rng = np.random.default_rng(2)
    x, y = rng.random((96, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, size=96)
    history = ref.train_lenet5(ref.build_lenet5(), x[:64], y[:64], validation_data=(x[64:], y[64:]), epochs=2,
                               verbose=0)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert len(history.history["val_loss"]) == 2
    assert "val_loss" not in ref.train_lenet5(ref.build_lenet5(), x, y, epochs=1, verbose=0).history
    for bad, name in (((x, y, y), "a pair"), ((x[:, :, :, 0], y), "x_val"), ((x, y[:5]), "x_val and y_val")):
        with pytest.raises(ValueError, match=name):
            ref.train_lenet5(ref.build_lenet5(), x, y, validation_data=bad, verbose=0)


@pytest.mark.slow
def test_reference_recipe_reaches_99_percent_on_mnist_within_the_budget(mnist):
    x_train, y_train, x_test, y_test = mnist
    keras.utils.set_random_seed(0)
    model = ref.build_lenet5()
    start = time.perf_counter()
    ref.train_lenet5(model, x_train, y_train, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1) == y_test))
    assert accuracy >= 0.99, f"test accuracy {accuracy:.4f} after {seconds:.1f} s"
    assert seconds <= ref.TRAINING_BUDGET_SECONDS, f"training took {seconds:.1f} s (accuracy {accuracy:.4f})"
