"""The LeNet-5 judge: one rule for the public tests, the hidden suite and Otter, from `model.to_json()` alone.

The grader's sandbox builds the student's model and returns its JSON as data; the public tests take the same
JSON from the model they build. It is read with `json`: no Keras object is made from it, so a Lambda layer,
a custom object or a crafted file can do nothing where it is judged. The rule follows the contract:

- the fixed sequence Conv2D(6, 5x5, "same") -> pool 2 -> Conv2D(16, 5x5, "valid") -> pool 2 -> Flatten ->
  Dense(120) -> Dense(84) -> Dense(num_classes, softmax), max or average pooling;
- activations are the student's choice, given to a layer (`activation="relu"`) or as layers of their own
  (`Activation`, `ReLU`, `LeakyReLU`, and `Softmax` after the last Dense);
- one parameter-free `Rescaling` may come first, since the model is always fed x in [0, 1];
- anything else (Dropout, BatchNormalization, an extra Dense ...) is refused with a message naming it.

`count_params_layers` turns the layers into the layer dicts of `ex05_parameters.count_params`. This module
uses the standard library only.
"""

from __future__ import annotations

import json
from typing import Any

#: Built-in layers a LeNet-5 may contain; the first group holds no parameters and keeps the shape.
ACTIVATION_LAYERS = {"Activation", "ReLU", "LeakyReLU", "Softmax"}
SHAPE_KEEPING = {"InputLayer", "Rescaling"} | ACTIVATION_LAYERS
ALLOWED_LAYERS = SHAPE_KEEPING | {"Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dense"}
ALLOWED_ACTIVATIONS = {"linear", "relu", "tanh", "sigmoid", "softmax", "elu", "selu", "gelu", "swish", "silu",
                       "leaky_relu", "relu6", "softplus", "softsign", "hard_sigmoid", "hard_swish", "hard_silu", "mish"}
#: The hint for any layer beyond the fixed sequence.
FIXED = ("the architecture is fixed (see the module docstring of ex06_lenet5): reach 99 % with the training "
         "recipe, not with extra layers such as Dropout or BatchNormalization")
_KIND = {"Conv2D": "conv2d", "MaxPooling2D": "max_pool2d", "AveragePooling2D": "average_pool2d",
         "Flatten": "flatten", "Dense": "dense"}


class ArchitectureError(ValueError):
    """The model's JSON is not a LeNet-5 made of built-in Keras layers; the message says which layer and why."""


def model_layers(json_text: str) -> list[dict[str, Any]]:
    """The model's layers as `{"class_name", "module", "config"}` dicts, in order.

    Raises ArchitectureError for text that is not a Sequential or Functional model's JSON.
    """
    try:
        model = json.loads(json_text)
        layers = model["config"]["layers"]
    except (TypeError, ValueError, KeyError, RecursionError) as error:
        raise ArchitectureError(
            "model.to_json() does not describe a Sequential or Functional model's layers "
            f"({type(error).__name__}); build the model with keras.Sequential or the functional API") from None
    if model.get("class_name") not in ("Sequential", "Functional") or not isinstance(layers, list):
        raise ArchitectureError(f"the model is a {model.get('class_name')!r}; build it with keras.Sequential "
                                "or the functional API (a subclassed model's layers cannot be checked)")
    parsed = []
    for index, layer in enumerate(layers):
        config = layer.get("config") if isinstance(layer, dict) else None
        if not isinstance(layer, dict) or not isinstance(config or {}, dict):
            raise ArchitectureError(f"layer {index} of model.to_json() is not a layer object; build the model "
                                    "from built-in Keras layers")
        parsed.append({"class_name": layer.get("class_name"), "module": layer.get("module"), "config": config or {}})
    return parsed


def check_allowed(layers: list[dict[str, Any]]) -> None:
    """Raise ArchitectureError naming the first layer that is not an allowlisted built-in Keras layer."""
    for index, layer in enumerate(layers):
        name = layer["class_name"]
        if name not in ALLOWED_LAYERS or layer["module"] not in (None, "keras.layers"):
            raise ArchitectureError(f"layer {index} is a {name} ({layer['module']}): a LeNet-5 here is built from "
                                    f"these Keras layers only: {', '.join(sorted(ALLOWED_LAYERS))} (the "
                                    "architecture is fixed; reach 99 % with the training recipe, not extra layers)")
        activation = layer["config"].get("activation")
        if activation is not None and (not isinstance(activation, str) or activation not in ALLOWED_ACTIVATIONS):
            raise ArchitectureError(f"layer {index} ({name}) uses the activation {activation!r}; use a built-in "
                                    "activation given by name, such as 'relu' or 'tanh'")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 20


def _pair(value, what: str = "size") -> tuple[int, int]:
    """`(a, b)` from a Keras size given as an int or a pair of ints; ArchitectureError for anything else."""
    if _whole(value):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_whole(v) for v in value):
        return (value[0], value[1])
    raise ArchitectureError(f"the model's {what} {value!r} is not a positive whole number or a pair of them")


def _count(config: dict, key: str) -> int:
    value = config.get(key)
    if not _whole(value):
        raise ArchitectureError(f"the model's {key} {value!r} is not a positive whole number")
    return value


def count_params_layers(layers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The `count_params` layer dicts of the model's parameterized and reshaping layers, and its input shape."""
    input_shape = None
    converted = []
    for layer in layers:
        name, config = layer["class_name"], layer["config"]
        if name == "InputLayer":
            shape = config.get("batch_shape") or config.get("batch_input_shape")
            if not isinstance(shape, (list, tuple)) or not all(v is None or _whole(v) for v in shape):
                raise ArchitectureError(f"the model's input shape {shape!r} is not a list of whole numbers")
            input_shape = tuple(shape[1:]) if shape else None
        elif name in _KIND:
            entry: dict[str, Any] = {"type": _KIND[name]}
            if name == "Conv2D":
                entry |= {"filters": _count(config, "filters"),
                          "kernel_size": _pair(config.get("kernel_size"), "kernel_size"),
                          "strides": _pair(config.get("strides", 1), "strides"),
                          "padding": config.get("padding", "valid"),
                          "use_bias": config.get("use_bias", True)}
            elif name in ("MaxPooling2D", "AveragePooling2D"):
                entry |= {"pool_size": _pair(config.get("pool_size", 2), "pool_size"),
                          "strides": _pair(config.get("strides") or config.get("pool_size", 2), "strides")}
            elif name == "Dense":
                entry |= {"units": _count(config, "units"), "use_bias": config.get("use_bias", True) is not False}
            converted.append(entry)
    if input_shape is None:
        raise ArchitectureError("the model's JSON has no input shape; give the model a keras.Input(shape=...)")
    return converted, input_shape


def summarize(layers: list[dict[str, Any]]) -> str:
    """One line naming the layers, e.g. `Conv2D(6, 5x5, same) -> MaxPooling2D(2) -> ...`, for messages."""
    parts = []
    for layer in layers:
        name, config = layer["class_name"], layer["config"]
        if name == "Conv2D":
            k = _pair(config.get("kernel_size", 1), "kernel_size")
            parts.append(f"Conv2D({config.get('filters')}, {k[0]}x{k[1]}, {config.get('padding')})")
        elif name in ("MaxPooling2D", "AveragePooling2D"):
            parts.append(f"{name}({_pair(config.get('pool_size', 2), 'pool_size')[0]})")
        elif name == "Dense":
            parts.append(f"Dense({config.get('units')}, {config.get('activation')})")
        elif name != "InputLayer":
            parts.append(name)
    return " -> ".join(parts)


def expected_sequence(num_classes: int = 10) -> list[tuple]:
    """LeNet-5's layers as `core_sequence` describes them."""
    return [("Conv2D", 6, (5, 5), "same"), ("pool", 2), ("Conv2D", 16, (5, 5), "valid"), ("pool", 2),
            ("Flatten",), ("Dense", 120), ("Dense", 84), ("Dense", num_classes, "softmax")]


def core_sequence(layers: list[dict[str, Any]]) -> list[tuple]:
    """The layers as comparable tuples, the shape-keeping ones left out (a leading Rescaling, activations).

    A softmax given as its own layer (`Softmax`, or `Activation("softmax")`) belongs to the Dense before it.
    Raises ArchitectureError for a Rescaling that is not first, or a layer outside the allowlist.
    """
    check_allowed(layers)
    core: list[tuple] = []
    for index, layer in enumerate(layers):
        name, config = layer["class_name"], layer["config"]
        if name == "Rescaling" and core:
            raise ArchitectureError(f"layer {index} is a Rescaling after {core[-1][0]}: a Rescaling may only "
                                    "come first, before the first Conv2D")
        if name in SHAPE_KEEPING:
            is_softmax = name == "Softmax" or (name == "Activation" and config.get("activation") == "softmax")
            if is_softmax and core and core[-1][0] == "Dense" and len(core[-1]) == 2:
                core[-1] = (*core[-1], "softmax")
            continue
        if name == "Conv2D":
            core.append((name, config.get("filters"), _pair(config.get("kernel_size", 1), "kernel_size"),
                         config.get("padding")))
        elif name in ("MaxPooling2D", "AveragePooling2D"):
            pool = _pair(config.get("pool_size", 2), "pool_size")
            strides = _pair(config.get("strides") or pool, "strides")
            core.append(("pool", pool[0]) if pool[0] == pool[1] and strides == pool else (name, pool, strides))
        elif name == "Dense":
            last = ("softmax",) if config.get("activation") == "softmax" else ()
            core.append((name, config.get("units"), *last))
        else:
            core.append((name,))
    return core


def sequence_problem(layers: list[dict[str, Any]], num_classes: int = 10) -> tuple[str, str] | None:
    """None when `layers` follow LeNet-5, else (what is wrong, a hint); ArchitectureError for refused layers."""
    got, want = core_sequence(layers), expected_sequence(num_classes)
    for index, (have, expected) in enumerate(zip(got, want, strict=False)):
        if have != expected:
            hint = {"same": "the first convolution keeps 28x28 with padding='same'",
                    "valid": "the second convolution uses padding='valid' (28/2 = 14 -> 10)"}.get(
                expected[3] if expected[0] == "Conv2D" else "", "compare with the table in the module docstring")
            return f"layer {index + 1} is {have}, expected {expected} (model: {summarize(layers)})", hint
    if len(got) != len(want):
        return (f"{len(got)} layers with parameters or shape changes, expected {len(want)} "
                f"(model: {summarize(layers)})",
                "LeNet-5 has exactly two convolutions, two poolings, a Flatten and three Dense layers")
    return None
