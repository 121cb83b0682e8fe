"""convkit exercises: the modules you complete, their public tests, the data loader and plotting helpers."""

import os
from importlib.util import find_spec


def keras_backend(environ=os.environ, found=find_spec) -> str | None:
    """The Keras backend to ask for: "jax" when neither the student nor TensorFlow chose one, else None.

    Keras 3 runs on TensorFlow unless `KERAS_BACKEND` says otherwise. The bundle's default install brings
    JAX and no TensorFlow, so without TensorFlow (and with JAX) the exercises ask for JAX; a `KERAS_BACKEND`
    already set, or an installed TensorFlow (Colab's, the grader's, `.[tensorflow]`), is left to Keras.
    `found` is `importlib.util.find_spec`, which locates a package without importing it.
    """
    if "KERAS_BACKEND" in environ or found("tensorflow") is not None or found("jax") is None:
        return None
    return "jax"


# Before anything imports keras: the tests, the lessons and the training script all import this package first.
if keras_backend() == "jax":
    os.environ["KERAS_BACKEND"] = "jax"
