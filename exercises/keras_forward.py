"""The forward pass of the models the LeNet-5 judge accepts, in numpy: predictions without TensorFlow.

The grader judges a student's LeNet-5 from `model.to_json()` (`exercises.lenet_judge`) and measures its
accuracy on predictions it computes itself, here, from that JSON and the model's weights (plain float arrays
from `model.get_weights()`). No Keras object is made from anything the student sent, no student code runs,
and no second TensorFlow process is started per student.

Layers and their Keras 3 semantics (channels_last, float64 arithmetic):

- `Conv2D`: `out[n, i, j, f] = sum_{a, b, c} x[n, i*s + a, j*s + b, c] * kernel[a, b, c, f] + bias[f]`; padding
  "valid", or "same" with ``total = max((ceil(n / s) - 1) * s + k - n, 0)`` zeros, ``total // 2`` before;
- `MaxPooling2D` / `AveragePooling2D`: windows of `pool_size` moved by `strides` (default: the pool size);
  "same" pads as Conv2D does, and padding never counts (a max ignores it, an average divides by the
  number of real values in the window);
- `Flatten` (C order over height, width, channels), `Dense` (`x @ kernel + bias`), `Rescaling`
  (`x * scale + offset`), `InputLayer`, and the activations of `exercises.lenet_judge.ALLOWED_ACTIVATIONS`,
  given to a layer or as `Activation`, `ReLU`, `LeakyReLU` and `Softmax` layers.

Anything else (another data format, dilation, groups, a layer or activation not listed) raises
`ArchitectureError` with a message naming it, as does a weight list that does not fit the architecture.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from exercises.lenet_judge import ArchitectureError

#: Values per image a layer may produce, and per batch: a model far from LeNet-5's size is refused rather than
#: evaluated (LeNet-5's largest layer holds 28 x 28 x 6 = 4,704 values).
MAX_VALUES_PER_IMAGE = 1 << 20
BATCH_VALUES = 1 << 24

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


_ERF = np.vectorize(math.erf, otypes=[np.float64])

#: Keras 3's built-in activations by name (`keras.activations`, default arguments).
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax,
    "elu": _elu,
    "selu": lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
    "gelu": lambda x: 0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0))),
    "swish": lambda x: x * _sigmoid(x),
    "silu": lambda x: x * _sigmoid(x),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hard_swish": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hard_silu": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "mish": lambda x: x * np.tanh(_softplus(x)),
}


def _activation(name: Any, where: str):
    if name is None:
        return ACTIVATIONS["linear"]
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ArchitectureError(f"{where}: the grader cannot evaluate the activation {name!r}")
    return ACTIVATIONS[name]


def _pair(value: Any, where: str, what: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (list, tuple)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair):
        raise ArchitectureError(f"{where}: {what} must be one or two positive whole numbers, got {value!r}")
    return pair


def _same_padding(size: int, window: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _out_size(size: int, window: int, stride: int, padding: str, where: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    if padding == "valid":
        if window > size:
            raise ArchitectureError(f"{where}: a {window}-wide window does not fit a {size}-wide input")
        return (size - window) // stride + 1
    raise ArchitectureError(f"{where}: padding must be 'valid' or 'same', got {padding!r}")


def _windows(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int], padding: str,
             fill: float) -> np.ndarray:
    """(N, Ho, Wo, C, kh, kw) views of `x` (N, H, W, C), padded with `fill` for "same"."""
    if padding == "same":
        (top, bottom), (left, right) = (_same_padding(x.shape[1], window[0], strides[0]),
                                        _same_padding(x.shape[2], window[1], strides[1]))
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    views = np.lib.stride_tricks.sliding_window_view(x, window, axis=(1, 2))
    return views[:, ::strides[0], ::strides[1]]


def _pool(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int], padding: str, fill: float,
          combine) -> np.ndarray:
    """`combine` (np.maximum, np.add) over each window of `x` (N, H, W, C), padded with `fill` for "same": one
    strided slice of `x` per position in the window, combined element by element (four times faster than
    reducing `_windows` over its last two axes)."""
    if padding == "same":
        (top, bottom), (left, right) = (_same_padding(x.shape[1], window[0], strides[0]),
                                        _same_padding(x.shape[2], window[1], strides[1]))
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    rows, columns = (x.shape[1] - window[0]) // strides[0] + 1, (x.shape[2] - window[1]) // strides[1] + 1
    return functools.reduce(combine, (x[:, a:a + (rows - 1) * strides[0] + 1:strides[0],
                                        b:b + (columns - 1) * strides[1] + 1:strides[1]]
                                      for a in range(window[0]) for b in range(window[1])))


class _Layer:
    """One layer: its output shape (per image), how many weight arrays it takes, and its forward pass."""

    def __init__(self, index: int, layer: dict[str, Any], shape: tuple[int, ...]):
        self.name, config = layer["class_name"], layer.get("config") or {}
        self.where = f"layer {index} ({self.name})"
        if config.get("data_format", "channels_last") not in (None, "channels_last"):
            raise ArchitectureError(f"{self.where}: the grader evaluates channels_last models only")
        self.config, self.input_shape, self.weight_shapes = config, shape, []
        self.activation = _activation(config.get("activation"), self.where)
        build = getattr(self, f"_build_{self.name}", None)
        if build is None:
            raise ArchitectureError(f"{self.where}: the grader cannot evaluate this layer")
        self.output_shape = build(shape)
        if math.prod(self.output_shape) > MAX_VALUES_PER_IMAGE:
            raise ArchitectureError(f"{self.where}: its output of shape {self.output_shape} is far too large "
                                    "for a LeNet-5")

    def _spatial(self, shape, what: str = "an image"):
        if len(shape) != 3:
            raise ArchitectureError(f"{self.where}: needs {what} of shape (height, width, channels), got {shape}")
        return shape

    def _build_InputLayer(self, shape):
        return shape

    def _build_Rescaling(self, shape):
        scale, offset = self.config.get("scale", 1.0), self.config.get("offset", 0.0)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (scale, offset)):
            raise ArchitectureError(f"{self.where}: scale and offset must be numbers")
        self.scale, self.offset = float(scale), float(offset)
        return shape

    def _build_Activation(self, shape):
        return shape

    def _build_Softmax(self, shape):
        axis = self.config.get("axis", -1)
        if axis not in (-1, len(shape)) and axis != [-1]:
            raise ArchitectureError(f"{self.where}: the grader evaluates a softmax over the last axis only")
        self.activation = _softmax
        return shape

    def _build_ReLU(self, shape):
        max_value = self.config.get("max_value")
        slope, threshold = float(self.config.get("negative_slope") or 0.0), float(self.config.get("threshold") or 0.0)
        top = np.inf if max_value is None else float(max_value)
        self.activation = lambda x: np.where(x >= top, top, np.where(x >= threshold, x, slope * (x - threshold)))
        return shape

    def _build_LeakyReLU(self, shape):
        slope = self.config.get("negative_slope", self.config.get("alpha", 0.3))
        if not isinstance(slope, (int, float)) or isinstance(slope, bool):
            raise ArchitectureError(f"{self.where}: negative_slope must be a number")
        self.activation = lambda x: np.where(x >= 0, x, float(slope) * x)
        return shape

    def _build_Flatten(self, shape):
        return (math.prod(shape),)

    def _build_Dense(self, shape):
        units = self.config.get("units")
        if len(shape) != 1:
            raise ArchitectureError(f"{self.where}: the grader evaluates Dense layers on flat inputs only "
                                    "(put a Flatten before it)")
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ArchitectureError(f"{self.where}: units must be a positive whole number, got {units!r}")
        self.weight_shapes = [(shape[0], units)] + ([(units,)] if self.config.get("use_bias", True) else [])
        return (units,)

    def _build_Conv2D(self, shape):
        height, width, channels = self._spatial(shape)
        filters = self.config.get("filters")
        self.window = _pair(self.config.get("kernel_size"), self.where, "kernel_size")
        self.strides = _pair(self.config.get("strides", 1), self.where, "strides")
        self.padding = self.config.get("padding", "valid")
        if _pair(self.config.get("dilation_rate", 1), self.where, "dilation_rate") != (1, 1) or \
                self.config.get("groups", 1) != 1:
            raise ArchitectureError(f"{self.where}: the grader evaluates Conv2D without dilation or groups only")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ArchitectureError(f"{self.where}: filters must be a positive whole number, got {filters!r}")
        self.weight_shapes = ([(*self.window, channels, filters)]
                              + ([(filters,)] if self.config.get("use_bias", True) else []))
        return (_out_size(height, self.window[0], self.strides[0], self.padding, self.where),
                _out_size(width, self.window[1], self.strides[1], self.padding, self.where), filters)

    def _build_pooling(self, shape):
        height, width, channels = self._spatial(shape)
        self.window = _pair(self.config.get("pool_size", 2), self.where, "pool_size")
        strides = self.config.get("strides")
        self.strides = self.window if strides is None else _pair(strides, self.where, "strides")
        self.padding = self.config.get("padding", "valid")
        return (_out_size(height, self.window[0], self.strides[0], self.padding, self.where),
                _out_size(width, self.window[1], self.strides[1], self.padding, self.where), channels)

    _build_MaxPooling2D = _build_AveragePooling2D = _build_pooling

    def forward(self, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        if self.name == "Rescaling":
            x = x * self.scale + self.offset
        elif self.name == "Flatten":
            x = x.reshape(len(x), -1)
        elif self.name == "Dense":
            x = x @ weights[0] + (weights[1] if len(weights) > 1 else 0.0)
        elif self.name == "Conv2D":
            views = _windows(x, self.window, self.strides, self.padding, 0.0)
            x = np.tensordot(views, weights[0], axes=([3, 4, 5], [2, 0, 1]))
            x = x + (weights[1] if len(weights) > 1 else 0.0)
        elif self.name == "MaxPooling2D":
            x = _pool(x, self.window, self.strides, self.padding, -np.inf, np.maximum)
        elif self.name == "AveragePooling2D":
            counts = _pool(np.ones((1, *x.shape[1:3], 1)), self.window, self.strides, self.padding, 0.0, np.add)
            x = _pool(x, self.window, self.strides, self.padding, 0.0, np.add) / counts
        return self.activation(x)


def predict(layers: list[dict[str, Any]], weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model's outputs (N, units of the last layer) for `x` (N, H, W, C), in float64.

    `layers` are `exercises.lenet_judge.model_layers(model.to_json())`; `weights` is `model.get_weights()`,
    in the layers' order (kernel, then bias). Raises `ArchitectureError` for a model this module cannot
    evaluate or weights that do not fit it, and ValueError for an `x` that is not a 4-D float array.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.dtype.kind not in "fiu":
        raise ValueError(f"x must be a 4-D array (N, height, width, channels), got {x.dtype} {x.shape}")
    shape, built = tuple(x.shape[1:]), []
    for index, layer in enumerate(layers):
        built.append(_Layer(index, layer, shape))
        shape = built[-1].output_shape
    expected = [s for layer in built for s in layer.weight_shapes]
    fits = len(weights) == len(expected) and all(
        type(w) is np.ndarray and w.shape == s and w.dtype.kind == "f" for w, s in zip(weights, expected, strict=True))
    if not fits:
        got = [getattr(w, "shape", type(w).__name__) for w in weights]
        raise ArchitectureError(f"the model's weights {got} do not fit its architecture, which needs {expected}")
    largest = max([math.prod(x.shape[1:])] + [math.prod(layer.output_shape) for layer in built])
    window = max((math.prod(layer.window) for layer in built if hasattr(layer, "window")), default=1)
    batch = max(1, BATCH_VALUES // (largest * window))
    weights = [w.astype(np.float64) for w in weights]
    outputs = []
    for start in range(0, len(x), batch):
        values, remaining = x[start:start + batch].astype(np.float64), weights
        for layer in built:
            count = len(layer.weight_shapes)
            values, remaining = layer.forward(values, remaining[:count]), remaining[count:]
        outputs.append(values)
    return np.concatenate(outputs) if outputs else np.zeros((0, *shape))
