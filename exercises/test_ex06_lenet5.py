"""Public tests for exercise 6 (`build_lenet5`, `train_lenet5`): run `pytest exercises/test_ex06_lenet5.py`.

They check the architecture (layers, shapes, parameter counts) and that `train_lenet5` runs on 256 random
images. They do not train on MNIST: the grader does, and measures the test accuracy (target 99 %).
Importing Keras takes a few seconds; the whole file runs in well under a minute.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercises import ex06_lenet5 as ex
from exercises import lenet_judge
from exercises.checks import call_text, check_array, check_int, check_unchanged, fail

FIXED_ARCHITECTURE = lenet_judge.FIXED
SAME_LAYERS = ("make test_build_lenet5_has_61706_parameters pass first: the layers stay the same, and only the "
               "first Conv2D and Dense(120) (input_shape) and the last Dense (num_classes) change their counts")


def lenet5_params(height: int, width: int, channels: int, classes: int) -> int:
    """Parameters of LeNet-5 on (height, width, channels) images: weights + biases, layer by layer."""
    flat = ((height // 2 - 4) // 2) * ((width // 2 - 4) // 2) * 16  # (H/2 - 4) / 2 x (W/2 - 4) / 2 x 16
    return ((5 * 5 * channels * 6 + 6) + (5 * 5 * 6 * 16 + 16) + (flat * 120 + 120) + (120 * 84 + 84)
            + (84 * classes + classes))


def built(model, what: str):
    """`model` after checking it is a Keras model whose weights exist (it knows its input shape)."""
    import keras

    if not isinstance(model, keras.Model):
        fail(what, f"returned {type(model).__name__}, expected a keras.Model",
             "return the model, e.g. keras.Sequential([keras.Input(shape=input_shape), ...])")
    if not model.built:
        fail(what, "the model is not built: its weights do not exist yet",
             "start the model with keras.Input(shape=input_shape) so Keras knows the input shape")
    return model


def judged_layers(model) -> list[dict]:
    """The model's layers as the grader reads them, from `model.to_json()` (see `exercises/lenet_judge.py`)."""
    try:
        return lenet_judge.model_layers(model.to_json())
    except lenet_judge.ArchitectureError as error:
        fail("build_lenet5().to_json(): the model's layers", str(error))


def test_build_lenet5_has_61706_parameters():
    what = "build_lenet5().count_params()"
    model = built(ex.build_lenet5(), "build_lenet5()")
    expected = lenet5_params(28, 28, 1, 10)  # 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706
    check_int(model.count_params(), expected, what, hint=FIXED_ARCHITECTURE, mistakes=[
        (expected - 400 * 120 + 256 * 120, "the first Conv2D needs padding='same': 28x28 stays 28x28"),
        (expected - 400 * 120 + 784 * 120, "the second Conv2D is 'valid' (no padding): 14x14 becomes 10x10"),
        (expected - 400 * 120 + 2304 * 120, "a 2x2 pooling layer is missing after the first Conv2D"),
        (expected - 400 * 120 + 1600 * 120, "a 2x2 pooling layer is missing after the second Conv2D"),
    ])


def test_each_weighted_layer_has_its_parameter_count():
    model = built(ex.build_lenet5(), "build_lenet5()")
    weighted = [layer for layer in model.layers if layer.weights]
    counts = [layer.count_params() for layer in weighted]
    expected = [5 * 5 * 1 * 6 + 6, 5 * 5 * 6 * 16 + 16, 400 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10]
    if counts != expected:
        fail("parameters of the layers that have weights, in order",
             f"got {counts}, expected {expected} (conv1, conv2, dense 120, dense 84, output)",
             FIXED_ARCHITECTURE if len(counts) != len(expected) else
             "compare layer by layer with the table in the module docstring")


def test_layers_come_in_lenet5_order():
    layers = judged_layers(built(ex.build_lenet5(), "build_lenet5()"))
    what = "build_lenet5(): the layers in order (activation layers and a leading Rescaling left out)"
    try:
        problem = lenet_judge.sequence_problem(layers)
    except lenet_judge.ArchitectureError as error:
        fail(what, str(error), FIXED_ARCHITECTURE)
    if problem:
        fail(what, *problem)


def test_convolutions_have_their_strides():
    layers = judged_layers(built(ex.build_lenet5(), "build_lenet5()"))
    for number, layer in enumerate(layers, start=1):
        if layer["class_name"] == "Conv2D" and tuple(layer["config"].get("strides", (1, 1))) != (1, 1):
            fail(f"layer {number} (Conv2D) setting 'strides'", f"got {layer['config'].get('strides')!r}, "
                 "expected (1, 1)", "LeNet-5's convolutions move one pixel at a time")


@pytest.mark.parametrize("num_classes", [10, 3], ids=["10-digits", "3-classes"])
def test_output_is_a_softmax_over_num_classes(num_classes):
    what = call_text("build_lenet5", num_classes=num_classes)
    model = built(ex.build_lenet5(num_classes=num_classes), what)
    images = np.random.default_rng(6).random((5, 28, 28, 1), dtype=np.float32)
    probabilities = np.asarray(model.predict(images, verbose=0))
    if probabilities.shape != (5, num_classes):
        fail(f"{what}.predict(5 images (5, 28, 28, 1))", f"shape {probabilities.shape}, expected "
             f"{(5, num_classes)}", "the last layer is Dense(num_classes, activation='softmax')")
    if probabilities.min() < 0:
        fail(f"{what}: every probability is >= 0", f"smallest value {probabilities.min():.4g}",
             "end with activation='softmax'")
    check_array(probabilities.sum(axis=1), np.ones(5), f"{what}: each row of probabilities sums to 1",
                hint="end with activation='softmax', not 'sigmoid' or no activation")
    expected = lenet5_params(28, 28, 1, num_classes)
    check_int(model.count_params(), expected, f"{what}.count_params()", hint=SAME_LAYERS,
              mistakes=[(lenet5_params(28, 28, 1, 10), "num_classes was ignored: end with Dense(num_classes)")]
              if num_classes != 10 else [])


def test_input_shape_is_respected():
    what = call_text("build_lenet5", input_shape=(32, 32, 3))
    model = built(ex.build_lenet5(input_shape=(32, 32, 3)), what)
    # (32, 32, 3) -> (32, 32, 6) -> (16, 16, 6) -> (12, 12, 16) -> (6, 6, 16) -> (576,)
    check_int(model.count_params(), lenet5_params(32, 32, 3, 10), f"{what}.count_params()", hint=SAME_LAYERS,
              mistakes=[(lenet5_params(28, 28, 1, 10), "input_shape was ignored: start with "
                         "keras.Input(shape=input_shape); then the first Conv2D has 5 * 5 * 3 * 6 + 6 "
                         "parameters and Flatten gives 6 * 6 * 16 = 576 features")])


def test_train_lenet5_returns_the_history_of_fit_on_256_images():
    import keras

    rng = np.random.default_rng(256)
    x_train = rng.random((256, 28, 28, 1), dtype=np.float32)  # (N, 28, 28, 1) in [0, 1)
    y_train = rng.integers(0, 10, size=256)
    x_before, y_before = x_train.copy(), y_train.copy()
    model = built(ex.build_lenet5(), "build_lenet5()")
    what = call_text("train_lenet5", "model", x_train, y_train)
    history = ex.train_lenet5(model, x_train, y_train)
    if not isinstance(history, keras.callbacks.History):
        fail(what, f"returned {type(history).__name__}, expected keras.callbacks.History",
             "return what model.fit(...) returns")
    losses = history.history.get("loss")
    if not losses:
        fail(f"{what}.history['loss']", f"got {losses!r}, expected one loss per epoch",
             "compile the model with a loss (e.g. 'sparse_categorical_crossentropy') and return model.fit(...)")
    if not np.all(np.isfinite(losses)):
        fail(f"{what}.history['loss']", f"got {losses!r}, expected finite losses",
             "the training diverged: lower the learning rate")
    check_unchanged(x_before, x_train, f"{what}: x_train")
    check_unchanged(y_before, y_train, f"{what}: y_train")
