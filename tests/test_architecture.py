"""The LeNet architecture checks read model.to_json() as JSON and catch the usual deviations (bad submission 31, 32)."""

import json

import pytest

from autograder.hidden import test_ex06_lenet5 as hidden
from exercises import lenet_judge as architecture

keras = pytest.importorskip("keras")


def lenet(first_padding="same", extra_dense=False, lambda_layer=False, num_classes=10):
    layers = [keras.Input((28, 28, 1))]
    if lambda_layer:
        layers.append(keras.layers.Lambda(lambda x: x * 2.0))
    layers += [keras.layers.Conv2D(6, 5, padding=first_padding, activation="relu"), keras.layers.MaxPooling2D(2),
               keras.layers.Conv2D(16, 5, activation="relu"), keras.layers.AveragePooling2D(2),
               keras.layers.Flatten(), keras.layers.Dense(120, activation="tanh")]
    if extra_dense:
        layers.append(keras.layers.Dense(100, activation="relu"))
    layers += [keras.layers.Dense(84, activation="relu"), keras.layers.Dense(num_classes, activation="softmax")]
    return keras.Sequential(layers)


def functional_lenet():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 0.3, offset=-0.4)(inputs)
    x = keras.layers.Conv2D(6, 5, padding="same", activation="tanh")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Conv2D(16, 5, activation="tanh")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Dense(84)(keras.layers.Dense(120)(keras.layers.Flatten()(x)))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def layers_of(model):
    return architecture.model_layers(model.to_json())


@pytest.mark.parametrize("build", [lenet, functional_lenet], ids=["sequential", "functional"])
def test_a_correct_lenet_passes_every_architecture_check(build):
    from solutions.ex05_parameters import count_params

    model = build()
    layers = layers_of(model)
    architecture.check_allowed(layers)
    assert architecture.core_sequence(layers) == architecture.expected_sequence()
    converted, shape = architecture.count_params_layers(layers)
    assert count_params(converted, shape) == model.count_params() == hidden.LENET_PARAMS


def test_a_valid_first_convolution_is_named_in_the_layer_comparison():
    core = architecture.core_sequence(layers_of(lenet(first_padding="valid")))
    assert core[0] == ("Conv2D", 6, (5, 5), "valid") != architecture.expected_sequence()[0]


def test_an_extra_dense_layer_changes_the_layer_list_and_the_count():
    from solutions.ex05_parameters import count_params

    layers = layers_of(lenet(extra_dense=True))
    assert len(architecture.core_sequence(layers)) == len(architecture.expected_sequence()) + 1
    assert count_params(*architecture.count_params_layers(layers)) != hidden.LENET_PARAMS


def test_a_lambda_layer_is_refused_by_name():
    with pytest.raises(architecture.ArchitectureError, match="Lambda"):
        architecture.check_allowed(layers_of(lenet(lambda_layer=True)))


def test_a_custom_activation_object_is_refused():
    layers = layers_of(lenet())
    layers[-1]["config"]["activation"] = {"class_name": "MyActivation", "module": "evil"}
    with pytest.raises(architecture.ArchitectureError, match="activation"):
        architecture.check_allowed(layers)


@pytest.mark.parametrize("text", ["not json", json.dumps({"class_name": "MyModel", "config": {}}),
                                  json.dumps({"class_name": "Sequential", "config": {"layers": "x"}})],
                         ids=["not-json", "subclassed", "layers-not-a-list"])
def test_json_that_is_not_a_layer_model_is_refused_with_a_message(text):
    with pytest.raises(architecture.ArchitectureError, match="Sequential"):
        architecture.model_layers(text)


def separate_activation_lenet(dropout=False):
    """LeNet-5 with its activations as layers of their own (ReLU, LeakyReLU, Softmax), as many students write it."""
    layers = [keras.Input((28, 28, 1)), keras.layers.Conv2D(6, 5, padding="same"), keras.layers.ReLU(),
              keras.layers.MaxPooling2D(2), keras.layers.Conv2D(16, 5), keras.layers.LeakyReLU(),
              keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(120), keras.layers.ReLU()]
    if dropout:
        layers.append(keras.layers.Dropout(0.2))
    layers += [keras.layers.Dense(84), keras.layers.Activation("relu"), keras.layers.Dense(10),
               keras.layers.Softmax()]
    return keras.Sequential(layers)


def test_separate_activation_layers_follow_lenet5():
    layers = layers_of(separate_activation_lenet())
    assert architecture.core_sequence(layers) == architecture.expected_sequence()
    assert architecture.sequence_problem(layers) is None


def test_a_dropout_layer_is_refused_by_name():
    with pytest.raises(architecture.ArchitectureError, match="Dropout"):
        architecture.sequence_problem(layers_of(separate_activation_lenet(dropout=True)))


def test_a_rescaling_after_the_first_layer_is_refused():
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(6, 5, padding="same"),
                              keras.layers.Rescaling(2.0)])
    with pytest.raises(architecture.ArchitectureError, match="Rescaling may only come first"):
        architecture.core_sequence(layers_of(model))


def test_an_extra_dense_layer_is_named():
    problem = architecture.sequence_problem(layers_of(lenet(extra_dense=True)))
    assert problem is not None and "Dense" in problem[0]


@pytest.mark.parametrize("variant, passes", [("separate-activations", True), ("dropout", False),
                                             ("extra-dense", False), ("reference", True)])
def test_the_public_and_the_hidden_judge_agree(monkeypatch, variant, passes):
    """The public test and the hidden test of the layer order pass and fail on the same models."""
    from exercises import test_ex06_lenet5 as public
    from exercises.checks import CheckFailure

    build = {"separate-activations": separate_activation_lenet, "dropout": lambda: separate_activation_lenet(True),
             "extra-dense": lambda: lenet(extra_dense=True), "reference": lenet}[variant]
    monkeypatch.setattr(public.ex, "build_lenet5", lambda **kwargs: build())

    class Request:
        def getfixturevalue(self, name):
            assert name == "model_layers"
            return layers_of(build())

    verdicts = []
    for run in (public.test_layers_come_in_lenet5_order, lambda: hidden.test_layers_follow_lenet5_in_order(Request())):
        try:
            run()
            verdicts.append(True)
        except CheckFailure:
            verdicts.append(False)
    assert verdicts == [passes, passes]


def sequential(*layers):
    return json.dumps({"class_name": "Sequential", "config": {"layers": list(layers)}})


INPUT = {"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1]}}


@pytest.mark.parametrize("text", [
    sequential(INPUT, {"class_name": "Conv2D", "config": {"filters": 6, "kernel_size": 5.0}}),
    sequential(INPUT, {"class_name": "Conv2D", "config": {"filters": "6", "kernel_size": [5, 5]}}),
    sequential(INPUT, {"class_name": "Dense", "config": {"units": None}}),
    sequential(INPUT, 7),
    sequential(INPUT, {"class_name": "Dense", "config": [1]}),
    sequential({"class_name": "InputLayer", "config": {"batch_shape": 3}}),
    '{"class_name": "Sequential", "config": {"layers": ' + "[" * 100000 + "]" * 100000 + "}}",
], ids=["float-kernel-size", "string-filters", "units-none", "layer-not-an-object", "config-not-an-object",
        "input-shape-not-a-list", "deeply-nested"])
def test_malformed_model_json_is_an_architecture_error_never_a_crash(text):
    with pytest.raises(architecture.ArchitectureError):
        layers = architecture.model_layers(text)
        architecture.check_allowed(layers)
        architecture.count_params_layers(layers)
        architecture.core_sequence(layers)
