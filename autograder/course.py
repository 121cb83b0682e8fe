"""The course registry: the exercises, the files a student hands in, and the settings of a grade, each
written once.

Everything else (the CLI, the batch, the hidden suites' options, Otter export, Gradescope, validate,
release, benchmarks and the kit's own tests) reads from here. Adding an exercise is one `Exercise` entry
in `EXERCISES` beside its solution, public tests, hidden tests and mutants.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from autograder import __version__

#: Modules a numpy exercise may not import (a module or any of its submodules).
FORBIDDEN_MODULES = ("scipy.signal", "scipy.ndimage", "tensorflow", "keras", "torch", "jax", "cv2", "skimage")
#: numpy functions that would compute a convolution or correlation for the student.
FORBIDDEN_NUMPY = ("convolve", "correlate")
#: The Keras exercise's trained weights, saved with `model.save_weights`.
WEIGHTS_FILE = "lenet5.weights.h5"

#: The version bounds of every package the exercises and the kit share, each written here only: `convkit
#: release` writes the bundle's pyproject from them and tests/test_requirements.py holds the kit's pyproject to
#: them. numpy 2 semantics; matplotlib 3.8.4, TensorFlow 2.18 and jax 0.4.30 are the first built for numpy 2
#: (TensorFlow 2.16-2.17 require numpy < 2), and TensorFlow 2.18 needs Keras 3.5. Low enough that Colab's
#: preinstalled TensorFlow, Keras, jax and numpy are kept rather than replaced.
REQUIREMENTS: dict[str, str] = {
    "numpy": ">=2.0",
    "pytest": ">=8",
    "matplotlib": ">=3.8.4",
    "keras": ">=3.5",
    "jax": ">=0.4.30",
    "tensorflow": ">=2.18",
    "otter-grader": "==7.0.0",
    "ipykernel": ">=6.17",
}
#: The bundle's default install: Keras on JAX (a venv of about 0.75 GB, against 2.2 GB with TensorFlow; the
#: exercises use only `keras`, and the grader reads the weights file whichever backend wrote it).
STUDENT_DEPENDENCIES: tuple[str, ...] = ("numpy", "pytest", "matplotlib", "keras", "jax")
#: The bundle's extras: `.[tensorflow]` for the grader's own backend, `.[otter]` for `otter check` (Otter pulls
#: in sphinx, playwright and pandas; ipykernel gives it the `python3` kernel it runs the submission in).
STUDENT_EXTRAS: dict[str, tuple[str, ...]] = {"tensorflow": ("tensorflow",), "otter": ("otter-grader", "ipykernel")}


def requirement(name: str) -> str:
    """`name` with its bound from `REQUIREMENTS`, e.g. `requirement("numpy") == "numpy>=2.0"`."""
    if name not in REQUIREMENTS:
        raise ValueError(f"no version bound for {name!r}; the course has bounds for {', '.join(REQUIREMENTS)}")
    return name + REQUIREMENTS[name]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: `solutions/<name>.py`, `exercises/<name>.py`, `autograder/hidden/test_<name>.py`.

    `kind` is "numpy" (pure numpy, the forbidden APIs refused) or "keras" (builds and trains a model in the
    sandbox with `builder` and `trainer`). `extra_files` are further files the student may hand in.
    """

    name: str
    kind: str
    functions: tuple[str, ...]
    topic: str
    forbidden: tuple[str, ...] = ()
    forbidden_numpy: tuple[str, ...] = ()
    extra_files: tuple[str, ...] = ()
    builder: str | None = None
    trainer: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("numpy", "keras"):
            raise ValueError(f"Exercise.kind must be 'numpy' or 'keras', got {self.kind!r}")
        if self.kind == "keras" and not (self.builder and self.trainer):
            raise ValueError(f"the Keras exercise {self.name} needs a builder and a trainer function name")

    @property
    def module_file(self) -> str:
        """`ex01_convolution.py`: the file a student hands in."""
        return f"{self.name}.py"

    @property
    def notebook_file(self) -> str:
        """`ex01_convolution.ipynb`: the same module handed in as a notebook."""
        return f"{self.name}.ipynb"


def _numpy(name: str, functions: tuple[str, ...], topic: str) -> Exercise:
    return Exercise(name, "numpy", functions, topic, forbidden=FORBIDDEN_MODULES, forbidden_numpy=FORBIDDEN_NUMPY)


EXERCISES: tuple[Exercise, ...] = (
    _numpy("ex01_convolution", ("correlate2d", "convolve2d"), "convolution"),
    _numpy("ex02_padding", ("zero_pad", "output_size", "conv2d"), "padding"),
    _numpy("ex03_feature_maps", ("relu", "feature_maps"), "feature maps"),
    _numpy("ex04_pooling", ("max_pool2d", "average_pool2d"), "pooling"),
    _numpy("ex05_parameters", ("conv2d_params", "dense_params", "count_params"), "parameters"),
    Exercise("ex06_lenet5", "keras", ("build_lenet5", "train_lenet5"), "LeNet-5", extra_files=(WEIGHTS_FILE,),
             builder="build_lenet5", trainer="train_lenet5"),
)


def exercise(name: str) -> Exercise:
    """The registered exercise called `name`; ValueError naming the known ones otherwise."""
    for entry in EXERCISES:
        if entry.name == name:
            return entry
    raise ValueError(f"unknown exercise {name!r}; the course has {', '.join(names())}")


def names(kind: str | None = None) -> tuple[str, ...]:
    """The exercise names in course order, all of them or those of one `kind` ("numpy" or "keras")."""
    return tuple(entry.name for entry in EXERCISES if kind is None or entry.kind == kind)


def keras_exercise() -> Exercise:
    """The one Keras exercise (the LeNet-5)."""
    (entry,) = (entry for entry in EXERCISES if entry.kind == "keras")
    return entry


def forbidden_imports() -> dict[str, list[str]]:
    """Module name -> the imports its sandbox worker refuses (the sandbox's `forbidden` argument)."""
    return {entry.name: list(entry.forbidden) for entry in EXERCISES if entry.forbidden}


#: Every file name intake takes from a submission (modules first, then the extra files).
HAND_IN_FILES: tuple[str, ...] = tuple(e.module_file for e in EXERCISES) + tuple(
    f for e in EXERCISES for f in e.extra_files)
NOTEBOOK_FILES: tuple[str, ...] = tuple(e.notebook_file for e in EXERCISES)

# What `convkit grade` writes into its output folder.
GRADES_CSV = "grades.csv"
REPORT_HTML = "report.html"
OTTER_CSV = "otter-crosscheck.csv"
OTTER_ZIPS = "otter-zips"
GRADER_LOG = "grader-errors.log"
#: Instructor-only: what `otter run` printed when the cross-check got no score from it (never shown to students).
OTTER_LOG = "otter.log"
RESULTS_JSON = "results.json"
FEEDBACK_MD = "feedback.md"
FEEDBACK_HTML = "feedback.html"
#: What the batch writes beside the student folders: no student id may take one of these names.
OUTPUT_NAMES = (GRADES_CSV, REPORT_HTML, OTTER_CSV, OTTER_ZIPS, GRADER_LOG, OTTER_LOG)
DEFAULT_OUT = "grading-output"

LENET_MODES = ("weights", "train", "skip")
ISOLATION_LEVELS = ("process", "uid", "namespaces")


@dataclass(frozen=True)
class Settings:
    """What makes a grade repeatable: the same submission graded with equal settings gets the same grade.

    `seed` is mixed into every hidden test's inputs; `timeout_s` bounds one function call; `lenet` says how
    the LeNet accuracy tests run ("weights": the submitted weights file, "train": the student's trainer,
    "skip": not run); `min_isolation` is the weakest sandbox the grader accepts.
    """

    seed: int = 20261122
    timeout_s: float = 10.0
    lenet: str = "weights"
    min_isolation: str = "process"

    def __post_init__(self) -> None:
        if type(self.seed) is not int or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {self.timeout_s!r}")
        if self.lenet not in LENET_MODES:
            raise ValueError(f"lenet must be one of {', '.join(LENET_MODES)}, got {self.lenet!r}")
        if self.min_isolation not in ISOLATION_LEVELS:
            raise ValueError(f"min_isolation must be one of {', '.join(ISOLATION_LEVELS)}, "
                             f"got {self.min_isolation!r}")

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    def record(self) -> dict:
        """The settings as stored in results.json (`extra_data.convkit.settings`), with the kit's version."""
        return {**dataclasses.asdict(self), "version": __version__}

    def differences(self, recorded: dict | None) -> list[str]:
        """The settings a recorded grade was taken with that differ from these, e.g. `["seed 7 (now 1)"]`.

        A record without settings (written before they were recorded) is taken as graded with the defaults.
        """
        recorded = recorded if isinstance(recorded, dict) else {}
        defaults = Settings().record()
        changed = []
        for key in ("seed", "timeout_s", "lenet"):
            before, now = recorded.get(key, defaults[key]), getattr(self, key)
            if before != now:
                changed.append(f"{key} {before} (now {now})")
        return changed

    def header(self) -> str:
        """One line for the console header: `seed 20261122, timeout 10 s, lenet weights, min isolation process`."""
        return (f"seed {self.seed}, timeout {self.timeout_s:g} s, lenet {self.lenet}, "
                f"min isolation {self.min_isolation}")


DEFAULTS = Settings()
