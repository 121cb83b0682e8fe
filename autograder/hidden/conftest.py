"""Fixtures of the hidden suites: `student` (the submission's module behind the sandbox), `reference`, `rng`.

A hidden test reads like a plain pytest test::

    @pytest.mark.points(2)
    def test_correlate2d_matches_reference_on_random_images(student, reference, rng):
        image = rng.normal(size=(7, 9))
        kernel = rng.normal(size=(3, 2))
        check_array(student.correlate2d(image, kernel), reference.correlate2d(image, kernel), ...)

`student` is a proxy: each call crosses into the sandbox worker, which runs the student's function and
sends back data only. The module under test is named by the test file (`test_ex01_convolution.py` grades
`ex01_convolution`). Inputs come from `rng`, seeded from the test id and `--convkit-seed`, never from global
random state, so grading the same submission twice gives the same inputs.
"""

from __future__ import annotations

import importlib
import zlib

import numpy as np
import pytest

from autograder import course

_PROVIDER_KEY = pytest.StashKey[object]()
_SANDBOX_KEY = pytest.StashKey[object]()


def pytest_addoption(parser):
    group = parser.getgroup("convkit")
    group.addoption("--convkit-seed", type=int, default=course.DEFAULTS.seed,
                    help="class-wide seed mixed into every hidden test's inputs")
    group.addoption("--convkit-inprocess", default=None, metavar="PACKAGE",
                    help="kit development only: test PACKAGE's modules (solutions or exercises) in-process, "
                         "without a sandbox; never used for grading")
    group.addoption("--convkit-lenet", choices=course.LENET_MODES, default=course.DEFAULTS.lenet,
                    help=f"how the LeNet accuracy tests run: the submitted {course.WEIGHTS_FILE}, the student's "
                         "train_lenet5, or not at all")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points this hidden test is worth")


def set_module_provider(config, provider) -> None:
    """Install the callable `provider(module_name) -> proxy` the `student` fixture uses (the grader does)."""
    config.stash[_PROVIDER_KEY] = provider


def set_sandbox(config, sandbox) -> None:
    """Install the student's `Sandbox`, which the Keras tests use for model JSON and predictions."""
    config.stash[_SANDBOX_KEY] = sandbox


def module_under_test(request) -> str:
    return request.path.stem.removeprefix("test_")


@pytest.fixture
def student(request):
    """The submitted module under test, reached through the sandbox."""
    name = module_under_test(request)
    provider = request.config.stash.get(_PROVIDER_KEY, None)
    if provider is not None:
        return provider(name)
    package = request.config.getoption("--convkit-inprocess")
    if package is None:
        raise pytest.UsageError("hidden suites run under `convkit grade`; for kit development pass "
                                "--convkit-inprocess=solutions")
    return importlib.import_module(f"{package}.{name}")


@pytest.fixture(scope="session")
def submission(request):
    """The student's sandbox: `keras_model_json(...)` and `keras_predict(...)` run the Keras exercise there."""
    sandbox = request.config.stash.get(_SANDBOX_KEY, None)
    if sandbox is None:
        package = request.config.getoption("--convkit-inprocess")
        if package is None:
            raise pytest.UsageError("the Keras tests run under `convkit grade`")
        from autograder.hidden.inprocess import InProcessKeras
        return InProcessKeras(package)
    return sandbox


@pytest.fixture
def reference(request):
    """The reference solution of the module under test, run in this trusted process."""
    return importlib.import_module(f"solutions.{module_under_test(request)}")


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's id and the class-wide seed: the same inputs on every run."""
    seed = request.config.getoption("--convkit-seed")
    return np.random.default_rng([seed, zlib.crc32(request.node.nodeid.split("::", 1)[-1].encode())])
