"""The static forbidden-API audit (bad submission 30)."""

import pytest

from autograder.grading.audit import forbidden_uses


@pytest.mark.parametrize("source, finding", [
    ("import scipy.signal\n", "import scipy.signal"),
    ("from scipy import signal\n", "from scipy import signal"),
    ("from scipy.signal import correlate2d\n", "from scipy.signal import correlate2d"),
    ("import tensorflow as tf\n", "import tensorflow"),
    ("import numpy as n\ndef f(a, b):\n    return n.convolve(a, b)\n", "n.convolve"),
    ("import numpy\nx = numpy.correlate\n", "numpy.correlate"),
    ("from numpy import convolve\n", "from numpy import convolve"),
    ("import keras.layers\n", "import keras.layers"),
], ids=["scipy-signal", "from-scipy-signal", "signal-function", "tensorflow", "np-convolve-alias",
        "numpy-correlate", "from-numpy-convolve", "keras"])
def test_forbidden_imports_and_calls_are_named(source, finding):
    assert finding in forbidden_uses(source)


def test_plain_numpy_code_passes_the_audit():
    source = ("import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view\n"
              "def correlate2d(image, kernel):\n    return np.einsum('ijab,ab->ij', sliding_window_view(image, "
              "kernel.shape), kernel)\n")
    assert forbidden_uses(source) == []


def test_a_module_that_does_not_parse_has_no_findings():
    assert forbidden_uses("def broken(:\n") == []
