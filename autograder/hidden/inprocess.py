"""Kit development only: the Keras side of the sandbox API, run in this process on the kit's own code.

`pytest autograder/hidden --convkit-inprocess=solutions` uses it to run the hidden LeNet tests against the
reference solution without a sandbox, and Otter's in-kernel runtime (`autograder.otter.kernel`) uses the same
signatures inside the kernel Otter already runs the student's module in. `convkit grade` never uses it: there
student code only runs in `autograder.sandbox`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from autograder import course

LENET = course.keras_exercise()


class InProcessKeras:
    """`keras_model_json`, `keras_weights` and `keras_predict` with the signatures of `autograder.sandbox.Sandbox`'s."""

    def __init__(self, package: str, weights_dir: Path | None = None):
        self.package = package
        self.weights_dir = weights_dir

    def _module(self, module: str):
        return importlib.import_module(f"{self.package}.{module}")

    def keras_model_json(self, module: str = LENET.name, builder: str = LENET.builder, **kwargs) -> str:
        return getattr(self._module(module), builder)(**kwargs).to_json()

    def keras_weights(self, *, module: str = LENET.name, weights: str | None = course.WEIGHTS_FILE, train=None,
                      train_timeout_s=None) -> list[np.ndarray]:
        """As the sandbox's: the kit's own model's `get_weights()`, trained or loaded from `weights_dir`."""
        student = self._module(module)
        model = getattr(student, LENET.builder)()
        if train is not None:
            getattr(student, LENET.trainer)(model, *train)
        elif weights is not None:
            if self.weights_dir is None:
                raise FileNotFoundError(f"no folder holds {weights} in-process")
            model.load_weights(self.weights_dir / (course.WEIGHTS_FILE if weights == "" else weights))
        return [np.asarray(w) for w in model.get_weights()]

    def keras_predict(self, x_eval: np.ndarray, *, module: str = LENET.name,
                      weights: str | None = course.WEIGHTS_FILE, train=None, train_timeout_s=None,
                      model_json: str | None = None) -> np.ndarray:
        """As the sandbox's, but `model_json` is not needed here: the model is the kit's own."""
        student = self._module(module)
        model = getattr(student, LENET.builder)()
        if train is not None:
            getattr(student, LENET.trainer)(model, *train)
        elif weights is not None:
            if self.weights_dir is None:
                raise FileNotFoundError(f"no folder holds {weights} in-process")
            model.load_weights(self.weights_dir / weights)
        return np.asarray(model.predict(x_eval, batch_size=1000, verbose=0))
