"""Run student code outside the grader's process, and bring back data only.

API (the grader and the hidden suites rely on exactly this)::

    with Sandbox(submission_dir, Limits(call_timeout_s=10), min_isolation="process") as sandbox:
        sandbox.isolation                      # layers active, e.g. ["process", ..., "uid", "namespaces"]
        student = sandbox.module("ex01_convolution")
        out = student.correlate2d(image, kernel)           # = sandbox.call("ex01_convolution", "correlate2d", ...)
        text = sandbox.keras_model_json()                  # the Keras module's builder().to_json()
        arrays = sandbox.keras_weights()                   # its get_weights() with the weights file loaded
        probs = sandbox.keras_predict(x_eval)              # or train=(x_train, y_train)

- `submission_dir` is the intake's allowlisted scratch copy (world-readable); the worker sees it read-only as
  its working directory and sys.path[0], plus a private writable, size-limited tmp dir as HOME.
- Numpy modules run in the children of one zygote worker per sandbox (`autograder.sandbox.inside` inside,
  `autograder.sandbox.process` outside): a zygote imports numpy once and forks a fresh child for each
  module, and again after `sandbox.fresh()` (the grader calls it before every test), so no state of one
  test reaches the next. With a `lane` (`autograder.sandbox.lane`: a box the batch keeps for one student
  after another) that zygote is forked for this submission by the lane's box instead of started in a box
  of its own. A Keras module has a worker process of its own, reused across calls. A worker
  (zygote included) is replaced after a crash, timeout or exit. Modules in `keras_modules` and the
  keras_* methods use `keras_limits` (default `Limits.for_keras()`). `forbidden` maps a module to the
  imports its worker refuses (default: none). The grader passes both, and the Keras builder, trainer and
  weights file names, from its course registry; the sandbox itself knows no course.
- Layers (`autograder.sandbox.isolation`) are detected once per process; `min_isolation` ("process", "uid",
  "namespaces") raises `IsolationError` at construction when the machine cannot provide it.
- Answers come back as ``.npy`` (loaded here with ``allow_pickle=False``) or JSON: a call returns only a plain
  ndarray loaded here, a numpy scalar, or int/float/str/bool/None/list/tuple/dict; any other value is a
  `ForeignValue` carrying the student's type name. Input arrays a call changed are never copied back: the
  caller's arrays keep their values (an expected answer computed from them later is not steered), and
  the write is noted so that `check_unchanged` fails on such an array.
- Failures raise a `SubmissionError` subclass with a student-facing message and a `reason` (the grades.csv
  status word): `NotSubmitted`, `ImportFailed`, `ImportTimedOut`, `CallTimedOut`, `Crashed`,
  `MemoryExceeded`, `SubmissionExited`, `Forbidden`, `MissingFunction`, `AnswerTooLarge`. An exception the
  student's code raised is a wrong answer, not a missing one: `StudentException` (a plain Exception),
  `StudentValueError` (also a ValueError) or `StudentNotImplementedError` (also a NotImplementedError).
  Import failures are remembered per module, so later calls fail at once with the same reason.
"""

from __future__ import annotations

import dataclasses
import signal
from pathlib import Path

import numpy as np

from autograder.sandbox import inside as wire
from autograder.sandbox import isolation
from autograder.sandbox.isolation import IsolationError
from autograder.sandbox.process import Died, SandboxError, TimedOut, TooLarge, WorkerProcess
from exercises.checks import SubmissionError, note_written

__all__ = ["Sandbox", "Limits", "ModuleProxy", "ForeignValue", "IsolationError", "SandboxError",
           "StudentException", "StudentValueError", "StudentNotImplementedError", "NotSubmitted",
           "ImportFailed", "ImportTimedOut", "CallTimedOut", "Crashed", "MemoryExceeded", "SubmissionExited",
           "Forbidden", "MissingFunction", "AnswerTooLarge"]



@dataclasses.dataclass
class Limits:
    """Resource limits of one worker. Timeouts are wall-clock seconds enforced from outside the worker.

    `cpu_s` (RLIMIT_CPU over the worker's life, a backstop) defaults to 60 + 4 x (import + call timeout);
    `answer_mb` caps one answer's size. What the student's code prints is thrown away.
    """

    call_timeout_s: float = 10.0
    import_timeout_s: float = 20.0
    memory_mb: int = 1024
    cpu_s: float | None = None
    file_size_mb: int = 16
    nproc: int = 64
    train_timeout_s: float = 300.0
    tmp_mb: int = 64
    answer_mb: int = 256

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and not value > 0:
                raise ValueError(f"Limits.{field.name} must be positive, got {value!r}")

    @classmethod
    def for_keras(cls, **changes) -> Limits:
        """Limits for TensorFlow workers: TF needs >= 4 GiB of address space and hundreds of threads."""
        base = dict(call_timeout_s=60.0, import_timeout_s=120.0, memory_mb=6144, nproc=512,
                    train_timeout_s=300.0, file_size_mb=64, tmp_mb=256, cpu_s=2400.0)
        return cls(**{**base, **changes})

    def effective_cpu_s(self) -> float:
        return self.cpu_s if self.cpu_s is not None else 60 + 4 * (self.import_timeout_s + self.call_timeout_s)


def _error(name: str, reason: str, doc: str) -> type:
    return type(name, (SubmissionError,), {"reason": reason, "__doc__": doc, "__module__": __name__})


NotSubmitted = _error("NotSubmitted", "not submitted", "The module (or weights file) is not in the submission.")
ImportFailed = _error("ImportFailed", "import error", "Importing the module raised; the message names the line.")
ImportTimedOut = _error("ImportTimedOut", "import timeout", "Importing the module did not finish in time.")
CallTimedOut = _error("CallTimedOut", "timeout", "The call did not return in time; the worker was killed.")
Crashed = _error("Crashed", "crashed", "The worker died from a signal (or broke the protocol) without an answer.")
MemoryExceeded = _error("MemoryExceeded", "memory limit", "The code ran out of its memory limit.")
SubmissionExited = _error("SubmissionExited", "exited", "The code called sys.exit or os._exit instead of returning.")
Forbidden = _error("Forbidden", "forbidden API", "The module imported an API its exercise forbids.")
MissingFunction = _error("MissingFunction", "missing function", "The module has no function of that name.")
AnswerTooLarge = _error("AnswerTooLarge", "answer too large", "The answer exceeded Limits.answer_mb.")


class StudentException(Exception):
    """An exception the student's code raised: a wrong answer. The message is "<Type>: <message>"."""

    from_student = True

    def __init__(self, type_name: str, message: str = ""):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


class StudentValueError(StudentException, ValueError):
    """The student's code raised a ValueError (so `check_raises_value_error` accepts it)."""


class StudentNotImplementedError(StudentException, NotImplementedError):
    """The student's code raised NotImplementedError (an unfinished stub)."""


class ForeignValue:
    """A returned value that is not plain data (a subclass, a masked array, an object with a lying __eq__)."""

    __slots__ = ("foreign_type_name",)

    def __init__(self, foreign_type_name: str):
        self.foreign_type_name = foreign_type_name

    def __repr__(self) -> str:
        return f"<{self.foreign_type_name} (not plain data)>"


class ModuleProxy:
    """A student module in the sandbox: `proxy.correlate2d(image, kernel)` runs there and returns data."""

    __slots__ = ("_sandbox", "_name")

    def __init__(self, sandbox: Sandbox, name: str):
        object.__setattr__(self, "_sandbox", sandbox)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, function: str):
        if function.startswith("_"):
            raise AttributeError(function)

        def call(*args, **kwargs):
            return self._sandbox.call(self._name, function, *args, **kwargs)
        call.__name__ = call.__qualname__ = function
        return call

    def __repr__(self) -> str:
        return f"<sandboxed student module {self._name}>"


class Sandbox:
    """Runs a submission's modules in sandbox workers; see the module docstring for the API."""

    def __init__(self, submission_dir: Path, limits: Limits | None = None, *, min_isolation: str = "process",
                 keras_limits: Limits | None = None, forbidden: dict[str, list[str]] | None = None,
                 keras_modules: tuple[str, ...] | list[str] = (), builder: str = "", trainer: str = "",
                 weights_file: str | None = None, lane=None):
        """`forbidden` maps a module name to the dotted imports its worker refuses; `keras_modules` are the
        modules run in Keras workers; `builder` and `trainer` are the names of the Keras module's model
        builder and training function, `weights_file` the default weights file of `keras_predict`. The
        grader passes all of them from its course registry: the sandbox knows no course. `lane` (a
        `lane.LaneHandle` whose folder is `submission_dir`) serves the numpy modules instead of a box of
        this sandbox's own, until a failure kills it (see `autograder.sandbox.lane`)."""
        self.keras_modules = tuple(keras_modules)
        if not all(isinstance(name, str) and name.isidentifier() for name in self.keras_modules):
            raise ValueError(f"keras_modules must be module names, got {keras_modules!r}")
        if self.keras_modules and not (builder.isidentifier() and trainer.isidentifier()):
            raise ValueError(f"builder and trainer must be function names, got {builder!r}, {trainer!r}")
        self.builder, self.trainer, self.weights_file = builder, trainer, weights_file
        self.submission_dir = Path(submission_dir).resolve()
        if not self.submission_dir.is_dir():
            raise ValueError(f"submission_dir must be an existing folder, got {submission_dir}")
        self.limits = limits or Limits()
        self.keras_limits = keras_limits or Limits.for_keras()
        self.isolation = isolation.available_layers()
        isolation.check_minimum(self.isolation, min_isolation)
        self.mode = "bwrap" if "namespaces" in self.isolation else "uid" if "uid" in self.isolation else "process"
        self.forbidden = {} if forbidden is None else forbidden
        self._worker: WorkerProcess | None = None
        self._stale = False
        self._failed: dict[str, SubmissionError] = {}
        self._lane = lane if self.mode == "bwrap" else None
        if "uid" in self.isolation:
            self._check_readable()

    def _check_readable(self) -> None:
        """Without a bind mount the sandbox uid must traverse every ancestor of the submission folder (the
        folder itself is made readable to the worker's uid, and to no one else, when a worker starts)."""
        if self.mode == "bwrap":
            return
        bad = [p for p in self.submission_dir.parents if p.stat().st_mode & 0o001 == 0]
        if bad:
            raise ValueError(f"the sandbox uid cannot reach {self.submission_dir}: {bad[0]} must be traversable "
                             "by others (mode o+x)")

    def module(self, name: str) -> ModuleProxy:
        return ModuleProxy(self, name)

    def call(self, module: str, function: str, *args, **kwargs):
        """Call `module.function(*args, **kwargs)` in the worker and return its answer (see module docstring)."""
        return self._request(module, {"op": "call", "function": function}, args, kwargs,
                             keras=module in self.keras_modules)

    def keras_model_json(self, module: str | None = None, builder: str | None = None, **kwargs) -> str:
        """`builder(**kwargs).to_json()` run in the worker: the model's architecture as JSON text (module
        and builder default to the first of `keras_modules` and the constructor's `builder`)."""
        module, builder = module or self.keras_modules[0], builder or self.builder
        return self._request(module, {"op": "keras_json", "builder": builder}, (), kwargs, keras=True)

    def keras_predict(self, x_eval: np.ndarray, *, module: str | None = None,
                      weights: str | None = "",
                      train: tuple[np.ndarray, np.ndarray] | None = None,
                      train_timeout_s: float | None = None, model_json: str | None = None) -> np.ndarray:
        """Predictions (N, num_classes) of the student's `builder()` model on `x_eval`.

        The model gets the submitted `weights` file (a file name in the submission; "" means the
        constructor's `weights_file`) or, with `weights=None` and `train=(x_train, y_train)`, the
        student's `trainer(model, x_train, y_train)`. With `model_json`
        (the JSON the trusted side judged the architecture on), the predictions come from that architecture
        rebuilt in a worker that never imports the student's module, so an answer about the architecture
        that differs from the model actually used gains nothing.
        """
        module = module or self.keras_modules[0]
        weights = self.weights_file if weights == "" else weights
        if weights is not None:
            weights = self._weights_file(weights)
        timeout = self.keras_limits.call_timeout_s
        kwargs = {}
        if train is not None:
            kwargs = {"x_train": train[0], "y_train": train[1]}
            timeout += train_timeout_s or self.keras_limits.train_timeout_s
        student = {"builder": self.builder, "trainer": self.trainer}
        if model_json is None:
            header = {"op": "keras_predict", **student, "weights": weights}
            return self._request(module, header, (x_eval,), kwargs, keras=True, timeout=timeout)
        rebuild = {"op": "keras_rebuild_predict", "model_json": model_json}
        if train is None:
            return self._request(module, rebuild | {"weights_file": weights}, (x_eval,), {}, keras=True,
                                 worker=self._clean_keras_worker())
        trained = self._request(module, {"op": "keras_train_weights", **student}, (), kwargs, keras=True,
                                timeout=timeout)
        if type(trained) is not list or not all(type(w) is np.ndarray and w.dtype.kind == "f" for w in trained):
            raise Crashed(f"model.get_weights() after {self.trainer} did not give a list of float arrays")
        return self._request(module, rebuild, (x_eval,), {"weights": trained}, keras=True,
                             worker=self._clean_keras_worker())

    def keras_weights(self, *, module: str | None = None, weights: str | None = "",
                      train: tuple[np.ndarray, np.ndarray] | None = None,
                      train_timeout_s: float | None = None) -> list[np.ndarray]:
        """`model.get_weights()` of the student's `builder()` model, as plain float arrays: with the submitted
        `weights` file loaded ("" means the constructor's `weights_file`), or, with `weights=None` and
        `train=(x_train, y_train)`, after the student's `trainer(model, x_train, y_train)`. It runs in the
        same Keras worker as `keras_model_json`, so TensorFlow starts once per student for both."""
        module = module or self.keras_modules[0]
        student = {"builder": self.builder, "trainer": self.trainer}
        if train is not None:
            timeout = self.keras_limits.call_timeout_s + (train_timeout_s or self.keras_limits.train_timeout_s)
            arrays = self._request(module, {"op": "keras_train_weights", **student}, (),
                                   {"x_train": train[0], "y_train": train[1]}, keras=True, timeout=timeout)
        else:
            weights = self._weights_file(weights)
            arrays = self._request(module, {"op": "keras_file_weights", **student, "weights": weights}, (), {},
                                   keras=True)
        if type(arrays) is not list or not all(type(w) is np.ndarray and w.dtype.kind == "f" for w in arrays):
            raise Crashed("model.get_weights() did not give a list of float arrays")
        return arrays

    def _clean_keras_worker(self) -> WorkerProcess:
        """A Keras worker that imports no student module (it rebuilds models from their JSON)."""
        return self._start_worker("", keras=True)

    def _weights_file(self, weights: str | None) -> str:
        """The weights file name `weights` stands for ("" is the constructor's), checked to be a file of the
        submission folder; raises `NotSubmitted` when it is missing."""
        weights = self.weights_file if weights == "" else weights
        if not isinstance(weights, str) or Path(weights).name != weights or weights.startswith("."):
            raise ValueError(f"weights must be a file name in the submission folder, got {weights!r}")
        if not (self.submission_dir / weights).is_file():
            raise NotSubmitted(f"not submitted: {weights}")
        return weights

    def fresh(self) -> None:
        """Make the next call run in a fresh worker process: nothing a call before it did (module state,
        files in its tmp dir, processes it started) reaches it. The grader calls this before every test."""
        self._stale = True

    def _start_worker(self, module: str, keras: bool, hidden_modules: list[str] | tuple[str, ...] = (),
                      zygote: bool = False) -> WorkerProcess:
        """Stop the current worker and start a ready one for `module` (nothing imported yet)."""
        self._stop()
        limits = self.keras_limits if keras else self.limits
        self._worker = worker = WorkerProcess(self.submission_dir, module, limits, mode=self.mode, keras=keras,
                                              use_uid="uid" in self.isolation,
                                              hidden_modules=hidden_modules, zygote=zygote)
        try:
            worker.wait_ready(max(30.0, limits.import_timeout_s))
            if "seccomp" in self.isolation and not worker.seccomp:
                raise SandboxError(f"the sandbox worker for {module or 'Keras'} did not install its seccomp filter")
        except SandboxError:
            self._stop()
            raise
        return worker

    def _request(self, module: str, header: dict, args: tuple, kwargs: dict, *, keras: bool,
                 timeout: float | None = None, worker: WorkerProcess | None = None):
        codec = wire.Codec([], strict=True)
        header |= {"args": codec.encode(list(args)), "kwargs": codec.encode(kwargs)}
        worker = worker or self._worker_for(module, keras)
        reply, blobs = self._exchange(worker, header, codec.blobs, timeout or worker.limits.call_timeout_s, "call")
        self._copy_back(codec.arrays, reply, blobs)
        if reply.get("status") != "ok":
            raise self._reply_error(reply, worker, "call")
        try:
            return wire.Codec(blobs, foreign=ForeignValue).decode(reply.get("value"))
        except (wire.WireError, MemoryError, ValueError):  # ValueError: numpy refusing a forged shape.
            self._stop()
            raise Crashed("crashed (the worker sent an unreadable answer)") from None

    def _worker_for(self, module: str, keras: bool) -> WorkerProcess:
        if module in self._failed:
            error = self._failed[module]
            raise type(error)(str(error))
        if not module.isidentifier():
            raise ValueError(f"module must be a module name such as 'ex01_convolution', got {module!r}")
        if not (self.submission_dir / f"{module}.py").is_file():
            raise NotSubmitted(f"not submitted: {module}.py")
        keras = keras or module in self.keras_modules
        worker = self._worker
        if keras:
            if worker is not None and worker.module == module and worker.keras:
                return worker
            worker = self._start_worker(module, keras)
        else:
            worker, forked = self._fresh_child(module)
            if not forked:
                return worker
        limits = self.keras_limits if keras else self.limits
        header = {"op": "import", "module": module, "forbidden": self.forbidden.get(module, [])}
        try:
            reply, _ = self._exchange(worker, header, [], limits.import_timeout_s, "import")
            if reply.get("status") != "ok":
                self._stop()
                raise self._reply_error(reply, worker, "import")
        except SubmissionError as error:
            self._failed[module] = error
            raise
        return worker

    def _fresh_child(self, module: str) -> tuple[WorkerProcess, bool]:
        """The zygote's child serving `module` and whether it is a new fork (its module not imported yet): the
        current one, or (after `fresh`, or for another module) a new fork. The zygote has numpy imported, so a
        fork costs a few milliseconds, not a Python start."""
        # The forbidden packages are refused by an import hook in the worker and, under bubblewrap, also
        # left out of its file view: a module that removes the hook still finds nothing to import.
        hidden = tuple(self.forbidden.get(module, []))
        worker = self._worker
        if worker is not None and worker.zygote and worker.hidden_modules == hidden and worker.proc.poll() is None:
            if worker.child and worker.module == module and not self._stale:
                return worker, False
            try:
                worker.end_child()
                worker.fork_child()
            except (TimedOut, Died, wire.WireError, SandboxError):
                worker = None
        else:
            worker = None
        if worker is None:
            worker = self._take_lane(hidden) or self._start_worker(module, keras=False, hidden_modules=hidden,
                                                                   zygote=True)
            worker.fork_child()
        worker.module, self._stale = module, False
        return worker, True

    def _take_lane(self, hidden: tuple[str, ...]) -> WorkerProcess | None:
        """The lane as this sandbox's zygote worker, once (None without one, or for other hidden packages)."""
        lane = self._lane
        if lane is None or tuple(lane.hidden_modules) != hidden:
            return None
        self._lane = None
        self._stop()
        worker = lane.attach(self.limits)
        try:
            worker.begin_student()
        except (TimedOut, Died, wire.WireError, SandboxError, OSError):
            worker.kill()
            return None
        self._worker = worker
        return worker

    def _exchange(self, worker: WorkerProcess, header: dict, blobs: list, timeout: float, phase: str):
        try:
            return worker.request(header, blobs, timeout)
        except TimedOut as timed_out:
            error = (ImportTimedOut(f"import timed out after {timeout:g} s") if phase == "import"
                     else CallTimedOut(f"timed out after {timeout:g} s"))
            error.waited_share = getattr(timed_out, "waited_share", 0.0)
        except Died as died:
            error = self._death_error(died.code, worker, phase)
        except TooLarge:
            error = AnswerTooLarge(f"answer too large (over {worker.limits.answer_mb} MB)")
        except (wire.WireError, MemoryError):
            error = Crashed("crashed (the worker broke the grader's protocol)")
        self._stop()
        raise error

    def _death_error(self, code: int | None, worker: WorkerProcess, phase: str) -> SubmissionError:
        at = " at import" if phase == "import" else ""
        if code is None:
            return Crashed(f"crashed{at} (the worker closed its connection to the grader)")
        number = -code if code < 0 else code - 128 if worker.mode == "bwrap" and code > 128 else 0
        if number == signal.SIGKILL:
            return MemoryExceeded(f"memory limit exceeded ({worker.limits.memory_mb} MB){at}: "
                                  "the worker was killed (SIGKILL)")
        if number == signal.SIGXCPU:
            cpu = f"{worker.limits.effective_cpu_s():g}"
            return (ImportTimedOut if at else CallTimedOut)(f"CPU time limit exceeded ({cpu} s){at}")
        if number:
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return Crashed(f"crashed{at} ({name})")
        return SubmissionExited(f"submission exited{at} (sys.exit / os._exit)")

    def _reply_error(self, reply: dict, worker: WorkerProcess, phase: str) -> Exception:
        kind, at = reply.get("kind"), " at import" if phase == "import" else ""
        message = wire.safe_str(reply.get("message", ""))
        type_name = wire.safe_str(reply.get("type", "Exception"), 120)
        if kind in ("exit", "memory"):
            self._stop()
        if kind == "forbidden":
            return Forbidden(message)
        if kind == "exit":
            return SubmissionExited(f"submission exited{at} (sys.exit / os._exit)")
        if kind == "memory":
            return MemoryExceeded(f"memory limit exceeded ({worker.limits.memory_mb} MB){at}")
        if kind == "missing":
            return MissingFunction(message)
        if phase == "import":
            line = reply.get("line")
            where = f" (line {line})" if type(line) is int else ""
            return ImportFailed(f"import error: {type_name}: {message}{where}")
        cls = (StudentValueError if reply.get("value_error") is True else
               StudentNotImplementedError if reply.get("not_implemented") is True else StudentException)
        return cls(type_name, message)

    @staticmethod
    def _copy_back(arrays: list, reply: dict, blobs: list) -> None:
        """Record which of the caller's input arrays the call wrote into, without changing them.

        The caller's arrays keep their values: an expected answer computed from an input after the call
        is the one made from the original values, so writing into an input steers nothing. The write is
        noted (`exercises.checks.note_written`) and `check_unchanged` fails on such an array.
        """
        for entry in reply.get("mutated", []) if type(reply.get("mutated")) is list else []:
            try:
                index, _blob = entry
                if type(index) is int and 0 <= index < len(arrays):
                    note_written(arrays[index])
            except (ValueError, TypeError):
                continue

    def _stop(self) -> None:
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.kill()

    def close(self) -> None:
        """Kill the worker (and all it started) and remove its tmp dir. The sandbox can be used again. A lane
        is handed back clean instead (its student's zygote ended, its box wiped), or killed if it cannot be."""
        worker = self._worker
        if worker is not None and worker.lane and worker.proc.poll() is None:
            self._worker = None
            try:
                worker.end_student()
            except (TimedOut, Died, wire.WireError, TooLarge, OSError):
                worker.kill()
                return
            worker.detach()
            return
        self._stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
