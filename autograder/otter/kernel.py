"""What Otter's test files call inside Otter's kernel: the verdicts of convkit's own pytest tests.

`convkit otter` and `convkit release` ship this file as the package `convkit_otter` beside the Otter test
files. Otter runs a submission as one notebook cell, then calls each test case with `env`, the cell's
globals. Each Otter test case names one pytest test; the first case of a file runs the whole pytest file
once, in this kernel, against the functions found in `env`, and every case then reports its own test's
verdict, raising the check library's own message on failure. No assertion is written here: the verdicts
come from the same test files, check helpers, seeds and reference solutions as `convkit grade`'s.

- Hidden cases run `autograder/hidden/test_<exercise>.py` with the given `--convkit-seed` and
  `--convkit-lenet`; the zip ships it, its conftest and the reference solutions in `convkit_otter/grader/`.
- Public cases run `exercises/test_<exercise>.py` with `exercises.<exercise>` replaced by the submitted
  functions, so they need no reference solution and the student bundle can carry them.

Unlike `convkit grade`, this runs student code and tests in one process, so its scores are advisory.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest

#: Test id -> None when the test passed, else the exception it failed with.
Results = dict[str, BaseException | None]
#: (kind, exercise) -> (results, why a test may be missing from them), filled once per kernel.
_RESULTS: dict[tuple[str, str], tuple[Results, str]] = {}
#: Longest message passed on from an exception the submission raised (as the sandbox's replies are capped).
MESSAGE_CHARS = 500


class MissingFunction(AttributeError):
    """The submission does not define a function that a test calls. Remedy: define it at the module's top level."""


class NotRun(AssertionError):
    """The test was skipped (for example the MNIST files were not found), so it earns no points."""


class NoVerdict(RuntimeError):
    """The pytest file reported nothing for this test: it failed to load, or the Otter test file is stale."""


class WeightsNotSubmitted(FileNotFoundError):
    """The Keras accuracy tests read `lenet5.weights.h5`, which the submission does not hold."""


class _Submitted(types.ModuleType):
    """The submitted functions as a module: `student.correlate2d(...)` and `ex.correlate2d(...)` both work."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise MissingFunction(f"{self.__name__.rpartition('.')[2]}.py defines no `{attribute}`: define it at "
                              "the top level of the module, with the name and arguments of the exercise")


def submitted_module(env: dict, exercise: str) -> types.ModuleType:
    """A module holding the public names of `env` (the globals of the executed submission)."""
    module = _Submitted(f"exercises.{exercise}")
    module.__dict__.update({name: value for name, value in env.items() if not name.startswith("__")})
    return module


class _Verdicts:
    """A pytest plugin recording each test's outcome by test id (`test_name[param-id]`)."""

    def __init__(self, module: types.ModuleType | None = None):
        self.module = module
        self.results: Results = {}
        self.load_errors: list[str] = []

    def pytest_configure(self, config):
        if self.module is not None:
            from autograder.hidden.conftest import set_module_provider, set_sandbox
            set_module_provider(config, lambda name: self.module)
            set_sandbox(config, _EnvKeras(self.module, Path.cwd()))

    def pytest_collectreport(self, report):
        if report.failed:
            errors = [line for line in report.longreprtext.splitlines() if line.startswith("E ")]
            self.load_errors.append((errors or ["(no message)"])[-1][1:].strip())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if (call.when == "setup" and report.passed) or (call.when == "teardown" and not report.failed):
            return
        test_id = item.nodeid.split("::", 1)[-1]
        if report.passed:
            self.results[test_id] = None
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            self.results[test_id] = NotRun(f"not run: {reason.removeprefix('Skipped: ')}")
        else:
            self.results[test_id] = call.excinfo.value if call.excinfo else NoVerdict(f"{test_id} failed")


class _EnvKeras:
    """The Keras side of the sandbox API (`keras_model_json`, `keras_predict`) over the submitted functions.

    The weights file, when the mode is "weights", is read from the working directory (the submission's).
    With "train", `train_lenet5` runs here with no time limit: only `convkit grade` enforces the budget.
    """

    def __init__(self, module: types.ModuleType, weights_dir: Path):
        self.module, self.weights_dir = module, weights_dir

    def _keras(self):
        from autograder.hidden.inprocess import InProcessKeras

        keras = InProcessKeras("", self.weights_dir)
        keras._module = lambda name: self.module
        return keras

    def keras_model_json(self, **kwargs) -> str:
        return self._keras().keras_model_json(**kwargs)

    def keras_predict(self, x_eval, *, weights: str | None = "", train=None, **kwargs):
        """As `Sandbox.keras_predict`; `weights` "" stands for the course's weights file."""
        if weights == "":
            from autograder import course  # Importable only once the runtime has put the grader on sys.path.
            weights = course.WEIGHTS_FILE
        if train is None and weights is not None and not (self.weights_dir / weights).is_file():
            raise WeightsNotSubmitted(f"no {weights} was submitted: save it with model.save_weights("
                                      f"'{weights}') and submit it beside the module")
        return self._keras().keras_predict(x_eval, weights=weights, train=train)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise NoVerdict(f"the package `{package}` cannot be imported from {os.getcwd()}; run Otter from the "
                        "folder that holds it")
    return Path(next(iter(spec.submodule_search_locations)))


def _run(test_file: Path, ini: str, plugin: _Verdicts, *options: str) -> tuple[Results, str]:
    """Run one pytest file with pytest's own plugins and `plugin` only (no third-party plugin loads).

    Returns the results and, for tests missing from them, the reason: the file's load error or pytest's exit.
    """
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = pytest.main([str(test_file), "--capture=sys", "-p", "no:cacheprovider", "-p", "no:faulthandler",
                            "-p", "no:terminal", "-c", ini, "--rootdir", str(test_file.parent), *options],
                           plugins=[plugin])
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    return plugin.results, "; ".join(plugin.load_errors) or f"pytest exited with {code!r}"


def _hidden_dir() -> Path:
    """The hidden suites' folder, with `autograder` and `solutions` the zip's copies (`convkit_otter/grader/`).

    Otter's own working folder is named `autograder` and holds an `__init__.py`, so the zip's copies are put
    first on `sys.path` (and any other `autograder` or `solutions` already imported is forgotten); otherwise
    the hidden suite could import Otter's folder, or an installed kit, instead of what was shipped.
    """
    grader = Path(__file__).resolve().parent / "grader"
    if not grader.is_dir():
        return _package_dir("autograder.hidden")  # Kit development: run from a kit checkout.
    if sys.path[0] != str(grader):
        sys.path.insert(0, str(grader))
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] in ("autograder", "solutions") and grader not in Path(
                getattr(module, "__file__", None) or "/").resolve().parents:
            del sys.modules[name]
    hidden = _package_dir("autograder.hidden")
    if grader not in hidden.resolve().parents:
        raise NoVerdict(f"the hidden suite resolved to {hidden}, not to the zip's copy in {grader}")
    return hidden


def run_hidden(env: dict, exercise: str, seed: int, lenet: str = "weights") -> tuple[Results, str]:
    """Run the hidden pytest file of `exercise` against `env` (see `_run` for what it returns)."""
    hidden = _hidden_dir()
    return _run(hidden / f"test_{exercise}.py", str(hidden / "pytest.ini"),
                _Verdicts(submitted_module(env, exercise)), f"--convkit-seed={seed}", f"--convkit-lenet={lenet}")


def run_public(env: dict, exercise: str) -> tuple[Results, str]:
    """Run the public pytest file of `exercise`, `exercises.<exercise>` being the submitted functions."""
    package = importlib.import_module("exercises")
    names = (f"exercises.{exercise}", f"exercises.test_{exercise}")
    saved = [sys.modules.pop(name, None) for name in names], vars(package).pop(exercise, None)
    sys.modules[names[0]] = submitted_module(env, exercise)
    try:
        return _run(_package_dir("exercises") / f"test_{exercise}.py", os.devnull, _Verdicts())
    finally:
        for name, module in zip(names, saved[0], strict=True):
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module
        vars(package).pop(exercise, None)
        if saved[1] is not None:
            setattr(package, exercise, saved[1])


def _verdict(outcome: tuple[Results, str], test_id: str) -> None:
    results, reason = outcome
    if test_id not in results:
        raise NoVerdict(f"the grader could not run {test_id}: {reason}")
    error = results[test_id]
    if error is None:
        return
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - an exception of the submission's own making may refuse to print.
        text = "(a message that cannot be printed)"
    if type(error).__module__ not in ("builtins", "exercises.checks", __name__) or len(text) > MESSAGE_CHARS:
        # Otter would print the exception again: pass on a plain, bounded copy of what it said once.
        raise RuntimeError(f"{type(error).__name__}: {text[:MESSAGE_CHARS]}")
    raise error.with_traceback(None)


def hidden_case(env: dict, exercise: str, test_id: str, *, seed: int, lenet: str = "weights") -> None:
    """Pass when the hidden test `test_id` of `exercise` passes on `env`; else raise its failure."""
    key = ("hidden", exercise)
    if key not in _RESULTS:
        _RESULTS[key] = run_hidden(env, exercise, seed, lenet)
    _verdict(_RESULTS[key], test_id)


def public_case(env: dict, exercise: str, test_id: str) -> None:
    """Pass when the public test `test_id` of `exercise` passes on `env`; else raise its failure."""
    key = ("public", exercise)
    if key not in _RESULTS:
        _RESULTS[key] = run_public(env, exercise)
    _verdict(_RESULTS[key], test_id)
