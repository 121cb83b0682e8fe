"""Hidden tests of ex06_lenet5: the architecture from the model's JSON, the accuracy from predictions made here.

The sandbox builds the student's model and returns `model.to_json()` as text; it is parsed here as JSON
(`exercises.lenet_judge`, the judge the public tests use too), never turned back into a model. The sandbox
also returns the model's weights as arrays (from the submitted weights file, or after the student's own
training), and this process computes the predictions in numpy from the judged JSON and those weights
(`exercises.keras_forward`). Accuracy is measured on inputs this process chooses: a seeded random subset of
the MNIST test images, each shifted by up to one pixel in a random direction, so predictions memorized for
the published test set do not help.

Thresholds (`exercises.train.GRADER_THRESHOLDS`, 95 % for 2 points and 97 % for 3 more), calibrated on
trained LeNets: a one-pixel shift costs a network trained without augmentation about 0.5-1 point, so the
reference recipe (2 epochs, 98.95-99.20 % on the clean test set over seeds 0-4) scores about 98.4 % here
(the bundled sample weights, seed 0: 99.13 % clean, 98.40 % shifted) and keeps a margin of more than a
point over 97 %, as does the plain recipe (98.4-98.9 % clean after 4 epochs); an untrained network (about
10 %) fails both tests and a linear model (about 92 %) fails both.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from exercises import keras_forward
from exercises import lenet_judge as architecture
from exercises.checks import check_array, check_int, fail
from exercises.train import GRADER_THRESHOLDS

EVAL_IMAGES = 2000
ACCURACY_TESTS = [pytest.param(threshold, marks=pytest.mark.points(points),
                               id=f"at-least-{100 * threshold:.0f}-percent")
                  for threshold, points in zip(GRADER_THRESHOLDS, (2, 3), strict=True)]
LENET_PARAMS = 61_706
@pytest.fixture(scope="module")
def model_layers(request):
    """The default model's layers, from the JSON the sandbox returns (built once per student)."""
    submission = request.getfixturevalue("submission")
    return architecture.model_layers(submission.keras_model_json())


def _layers_or_fail(request):
    try:
        return request.getfixturevalue("model_layers")
    except architecture.ArchitectureError as error:
        fail("build_lenet5(): the model's layers", str(error))


@pytest.mark.points(1)
def test_model_is_made_of_builtin_keras_layers(request):
    try:
        architecture.check_allowed(_layers_or_fail(request))
    except architecture.ArchitectureError as error:
        fail("build_lenet5(): every layer is a built-in Keras layer", str(error),
             "Lambda layers and custom layers cannot be checked; use keras.layers classes")


@pytest.mark.points(2)
def test_layers_follow_lenet5_in_order(request):
    layers = _layers_or_fail(request)
    try:
        problem = architecture.sequence_problem(layers)
    except architecture.ArchitectureError as error:
        fail("build_lenet5(): the layers in order", str(error), architecture.FIXED)
    if problem:
        fail("build_lenet5(): the layers in order", *problem)


@pytest.mark.points(1)
def test_parameter_count_is_61706(request):
    from solutions.ex05_parameters import count_params

    layers = _layers_or_fail(request)
    try:
        architecture.check_allowed(layers)
        converted, input_shape = architecture.count_params_layers(layers)
        counted = count_params(converted, input_shape)
    except (architecture.ArchitectureError, ValueError, KeyError) as error:
        fail("build_lenet5(): parameters counted from the model's JSON", f"cannot be counted: {error}")
    check_int(counted, LENET_PARAMS, "build_lenet5(): parameters counted from the model's JSON",
              hint="156 + 2,416 + 48,120 + 10,164 + 850: check filters, kernel sizes, padding and units")


@pytest.mark.points(1)
def test_num_classes_sets_the_output_layer(submission):
    layers = architecture.model_layers(submission.keras_model_json(num_classes=7))
    dense = [layer["config"] for layer in layers if layer["class_name"] == "Dense"]
    what = "build_lenet5(num_classes=7): the last Dense layer"
    if not dense:
        fail(what, "the model has no Dense layer", "end with Dense(num_classes, activation='softmax')")
    check_int(dense[-1].get("units"), 7, what, hint="use the num_classes argument, not a fixed 10")


def _shifted_subset(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The seeded, shifted subset of the MNIST test set the accuracy is measured on."""
    from exercises import data

    try:
        images, labels = data.load_mnist("test")
    except FileNotFoundError as error:
        if os.environ.get("CONVKIT_DATA_DIR"):
            # The instructor named a folder and the grader cannot read MNIST there: a fault of the setup that
            # must stop the grade, not a test quietly left out of every total.
            raise RuntimeError(f"CONVKIT_DATA_DIR is set but the MNIST test files are not found: {error}") from None
        pytest.skip("not run: the grader found no MNIST test files "
                    "(the instructor points CONVKIT_DATA_DIR at them, or puts them in datasets/)")
    return data.shifted_subset(images, labels, EVAL_IMAGES, rng)


@pytest.fixture(scope="module")
def accuracy(request):
    """The accuracy of the student's LeNet on the shifted subset, computed once per student."""
    mode = request.config.getoption("--convkit-lenet")
    if mode == "skip":
        pytest.skip("not run (--lenet skip)")
    submission = request.getfixturevalue("submission")
    rng = np.random.default_rng([request.config.getoption("--convkit-seed"), 6])
    x_eval, y_eval = _shifted_subset(rng)
    # The predictions are computed here, in numpy, from the architecture the other tests judge (its JSON) and
    # the model's weights: no Keras object is made from anything the student's worker sent.
    model_json = submission.keras_model_json()
    try:
        layers = architecture.model_layers(model_json)
        architecture.check_allowed(layers)
    except architecture.ArchitectureError as error:
        fail("the model build_lenet5() returns, on which the accuracy is measured", str(error),
             "build the model from built-in Keras layers only")
    if mode == "train":
        from exercises import data
        images, labels = data.load_mnist("train")
        train = (data.add_channel(data.to_float(images)), labels.astype(np.int64))
        from solutions.ex06_lenet5 import TRAINING_BUDGET_SECONDS
        weights = submission.keras_weights(weights=None, train=train, train_timeout_s=2 * TRAINING_BUDGET_SECONDS)
    else:
        weights = submission.keras_weights()
    try:
        probabilities = keras_forward.predict(layers, weights, x_eval)
    except architecture.ArchitectureError as error:
        fail("the model build_lenet5() returns, evaluated with its weights", str(error),
             "submit the weights of the model build_lenet5() builds (model.save_weights('lenet5.weights.h5'))")
    check_array(probabilities, np.full((EVAL_IMAGES, 10), 0.1), "model.predict on 2,000 MNIST test images: "
                "the output's type and shape", rtol=np.inf, atol=np.inf)
    return float(np.mean(np.argmax(probabilities, axis=1) == y_eval))


@pytest.mark.parametrize("threshold", ACCURACY_TESTS)
def test_accuracy_on_shifted_mnist_test_images(request, threshold):
    got = request.getfixturevalue("accuracy")
    if got < threshold:
        fail(f"accuracy on {EVAL_IMAGES:,} MNIST test images shifted by up to one pixel",
             f"{100 * got:.2f} %, expected at least {100 * threshold:.0f} %",
             "train longer or with a better recipe (standardized inputs, a learning-rate schedule); "
             "submit the weights of the trained model (model.save_weights('lenet5.weights.h5'))")
