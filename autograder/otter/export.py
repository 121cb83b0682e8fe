"""Otter-Grader: `convkit otter OUT_DIR` writes one autograder zip per exercise; the bundle's public Otter tests.

An Otter test file here is a thin adapter generated from the kit's pytest files: one Otter test case per
pytest test id, worth the points of that test's `points` marker (public cases are worth 0 in the zips, as
convkit scores the hidden tests only). Each case asks `convkit_otter` (`autograder/otter/kernel.py`, shipped
as a support package) for its test's verdict, so Otter's per-exercise score equals the hidden suite's, point
for point: same test files, checks, seed and reference solutions. `otter_config.json` keeps hidden results
hidden until the grades are published. Using a zip:

    otter run -a OUT_DIR/ex01_convolution.zip ex01_convolution.py          # one submission, no Docker
    otter grade -a OUT_DIR/ex01_convolution.zip --ext py --timeout 600 -o OUT SUBMISSIONS/   # needs Docker
    # Gradescope: upload OUT_DIR/ex01_convolution.zip as a programming assignment's autograder.

What Otter cannot do, so its scores are advisory beside `convkit grade`: student code and tests share one
kernel (a submission that patches Otter's test runner scores full marks, one that kills Otter's process
leaves no score, and it can read the test files and the reference solution, which sit on disk beside it:
`convkit grade --otter` keeps what Otter prints away from students, see `autograder.otter.sandboxed`);
`otter run` has no timeout at all (`otter_scores` adds one) and `otter grade --timeout` is per submission,
never per test; one `.py` is graded per submission (`lenet5.weights.h5` goes beside it in a zip); the
module runs as a notebook cell, so `if __name__ == "__main__":` blocks run; `otter grade` needs Docker.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from autograder import course, scratch
from autograder.hidden import HIDDEN_DIR
from autograder.stubs import EXERCISE_NAMES, ROOT, kit_folder

KERNEL_SOURCE = Path(__file__).resolve().parent / "kernel.py"
RUNTIME_PACKAGE = "convkit_otter"
PUBLIC_TESTS_DIR = "otter_tests"
DEFAULT_SEED = course.DEFAULTS.seed
#: `otter_config.json`: hidden results are shown only once the grades are published ("after_published").
OTTER_CONFIG = {"lang": "python", "show_hidden": True, "force_public_test_summary": True, "show_stdout": False}
KERAS_EXERCISE = course.keras_exercise().name
MNIST_FILES = {"test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
               "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")}


class OtterRunError(RuntimeError):
    """`otter run` gave no score for the exercise: it timed out, crashed or wrote no results.json."""


@dataclass(frozen=True)
class Case:
    """One pytest test as an Otter test case: its id (`test_name[param-id]`), points and visibility."""

    test_id: str
    points: float
    hidden: bool


def _collect_in_process(test_files: list[str], lenet: str) -> dict[str, list[list]]:
    """Test file (relative to the kit's root) -> [[test id, points, skipped], ...] in pytest's order.

    Only collects, except with `lenet` "skip": then the tests run on the stubs, to learn which ones that
    mode skips (convkit counts a test that did not run in neither the points earned nor the possible).
    """
    import pytest

    class Collector:
        items: list = []
        skipped: set = set()

        def pytest_collection_finish(self, session):
            self.items = list(session.items)

        def pytest_runtest_logreport(self, report):
            if report.skipped:
                self.skipped.add(report.nodeid)

    collector = Collector()
    mode = ["--convkit-inprocess=exercises", "--convkit-lenet=skip"] if lenet == "skip" else ["--collect-only"]
    pytest.main([*test_files, *mode, "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly",
                 "-c", str(HIDDEN_DIR / "pytest.ini"), "--rootdir", str(ROOT)], plugins=[collector])
    found: dict[str, list[list]] = {}
    for item in collector.items:
        path, _, test_id = item.nodeid.partition("::")
        marker = item.get_closest_marker("points")
        found.setdefault(path, []).append([test_id, float(marker.args[0]) if marker else 0.0,
                                           item.nodeid in collector.skipped])
    return found


def collect(exercises: list[str], *, hidden: bool = True, lenet: str = "weights") -> dict[str, list[Case]]:
    """Exercise -> its Otter cases: the public tests (if any), then the hidden ones when `hidden`.

    Public cases are worth 0, and so are the hidden tests that the `lenet` mode "skip" does not run. Tests
    are collected in a child process (`python -m autograder.otter.export collect ...`), so that no test module is
    imported into the caller's process.
    """
    files = {exercise: [f"exercises/test_{exercise}.py"] * (ROOT / "exercises" / f"test_{exercise}.py").is_file()
             + [f"autograder/hidden/test_{exercise}.py"] * hidden for exercise in exercises}
    command = [sys.executable, "-m", "autograder.otter.export", "collect", lenet,
               *[f for fs in files.values() for f in fs]]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"collecting the tests failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {exercise: [Case(test_id, points if "hidden" in name and not skipped else 0.0, "hidden" in name)
                       for name in names for test_id, points, skipped in found.get(name, [])]
            for exercise, names in files.items()}


TEST_FILE = '''"""{title}

Generated by `convkit otter` from the kit's pytest files; do not edit. Each case passes when the pytest
test it names passes on the submitted functions (`env`, the submission's globals), and fails with that
test's own message otherwise.
"""

import convkit_otter
from otter.test_files import test_case

OK_FORMAT = False
name = {exercise!r}
{settings}'''
TEST_CASE = '''

@test_case(name={name!r}, points={points!r}, hidden={hidden})
def {function}(env):
    {call}
'''


def test_file_source(exercise: str, cases: list[Case], *, seed: int = DEFAULT_SEED, lenet: str = "weights") -> str:
    """The text of the exception-based Otter test file of `exercise` (`OK_FORMAT = False`).

    With hidden cases (a zip's file), public cases are worth 0 and the total is the hidden suite's. Without
    (the student bundle's file), the public cases share one point: `otter check` divides by the total.
    """
    hidden = [c for c in cases if c.hidden]
    possible = sum(c.points for c in hidden)
    if hidden:
        title = (f"Otter test of {exercise}: {len(cases) - len(hidden)} public cases (0 points) and {len(hidden)} "
                 f"hidden cases ({possible:g} points).")
        settings = f"POSSIBLE = {possible!r}\nSEED = {seed!r}\nLENET = {lenet!r}\n"
    else:
        title = (f"Public Otter test of {exercise}; from the folder that holds `exercises/`, run\n"
                 f"otter check exercises/{exercise}.py -t {PUBLIC_TESTS_DIR}/{exercise}")
        settings = ""
    text = TEST_FILE.format(title=title, exercise=exercise, settings=settings)
    for number, case in enumerate(cases, start=1):
        kind = "hidden" if case.hidden else "public"
        call = (f"convkit_otter.hidden_case(env, name, {case.test_id!r}, seed=SEED, lenet=LENET)" if case.hidden
                else f"convkit_otter.public_case(env, name, {case.test_id!r})")
        text += TEST_CASE.format(name=f"{kind}: {case.test_id}", points=case.points if hidden else None,
                                 hidden=case.hidden, function=f"{kind}_{number:02d}", call=call)
    return text


def public_test_files(exercises: list[str] = EXERCISE_NAMES) -> dict[str, str]:
    """Bundle path -> text of the student bundle's Otter files: the runtime and one test folder per exercise.

    `otter check exercises/ex01_convolution.py -t otter_tests/ex01_convolution`, run from the bundle's root.
    """
    files = {f"{RUNTIME_PACKAGE}/__init__.py": KERNEL_SOURCE.read_text(encoding="utf-8")}
    for exercise, cases in collect(list(exercises), hidden=False).items():
        if cases:
            files[f"{PUBLIC_TESTS_DIR}/{exercise}/{exercise}.py"] = test_file_source(exercise, cases)
    return files


def write_public_tests(out_dir: Path, exercises: list[str] = EXERCISE_NAMES) -> list[str]:
    """Write `public_test_files()` under `out_dir`; returns the written paths relative to it."""
    files = public_test_files(exercises)
    for target, text in files.items():
        (Path(out_dir) / target).parent.mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / target).write_text(text, encoding="utf-8")
    return sorted(files)


def _kit_imports(path: Path, seen: set[Path]) -> set[Path]:
    """The kit's own module files that `path` imports, directly or through them (packages' `__init__` too)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            package = path.parent.relative_to(ROOT).parts
            base = package[:len(package) - node.level + 1]
            names = [".".join([*base, *filter(None, [node.module, alias.name])]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            parts = name.split(".")
            if parts[0] not in ("autograder", "exercises", "solutions"):
                continue
            for depth in range(1, len(parts) + 1):
                for candidate in (ROOT.joinpath(*parts[:depth]) / "__init__.py",
                                  ROOT.joinpath(*parts[:depth]).with_suffix(".py")):
                    if candidate.is_file() and candidate not in seen:
                        seen.add(candidate)
                        found |= {candidate} | _kit_imports(candidate, seen)
    return found


def _support_files(exercise: str, lenet: str) -> dict[str, Path]:
    """Zip path (under Otter's `files/`) -> source: the runtime, the public and hidden test files, and every
    kit module they import. `exercises/` stays top-level (a submission may import `exercises.checks`);
    `autograder/` and `solutions/` go in `convkit_otter/grader/` (Otter's own folder is named autograder)."""
    public = ROOT / "exercises" / f"test_{exercise}.py"
    tests = [HIDDEN_DIR / f"test_{exercise}.py", HIDDEN_DIR / "conftest.py", *[public] * public.is_file()]
    seen: set[Path] = set()
    modules = set(tests).union(*(_kit_imports(path, seen) for path in [*tests, KERNEL_SOURCE]),
                               {HIDDEN_DIR / "pytest.ini", ROOT / "solutions" / "__init__.py",
                                ROOT / "solutions" / f"{exercise}.py"})
    # The exercise modules themselves are never shipped: the submission takes their place.
    modules -= {ROOT / "exercises" / f"{name}.py" for name in EXERCISE_NAMES}
    files = {f"{RUNTIME_PACKAGE}/__init__.py": KERNEL_SOURCE}
    for path in modules:
        relative = path.relative_to(ROOT).as_posix()
        files[relative if relative.startswith("exercises/") else f"{RUNTIME_PACKAGE}/grader/{relative}"] = path
    if exercise == KERAS_EXERCISE:
        files.update(mnist_files(lenet))
    return files


def lenet_mode_with_data(lenet: str, what: str) -> str:
    """`lenet`, or "skip" with a warning when the MNIST files its accuracy tests need are not found here."""
    if lenet == "skip" or mnist_files(lenet):
        return lenet
    print(f"warning: MNIST not found (set CONVKIT_DATA_DIR); {what} as with --lenet skip: the LeNet "
          "accuracy tests are not run", file=sys.stderr)
    return "skip"


def mnist_files(lenet: str) -> dict[str, Path]:
    """Archive name -> file of the MNIST data that `lenet` mode's accuracy tests read (none for "skip")."""
    if lenet == "skip":
        return {}
    return _mnist_files(("test", "train") if lenet == "train" else ("test",))


def _mnist_files(splits: tuple[str, ...]) -> dict[str, Path]:
    """The MNIST files the accuracy tests read, from the first data folder holding them (none when absent)."""
    from exercises import data

    wanted = [f"mnist/{name}" for split in splits for name in MNIST_FILES[split]]
    for _, folder in data.search_dirs():
        if folder is not None and all((folder / name).is_file() for name in wanted):
            return {"datasets/SHA256SUMS": kit_folder("datasets") / "SHA256SUMS",
                    **{f"datasets/{name}": folder / name for name in wanted}}
    return {}


def requirements(exercise: str) -> str:
    """requirements.txt: the versions installed here of what the tests import (Otter adds itself)."""
    names = ["numpy", "pytest"] + (["tensorflow", "keras"] if exercise == KERAS_EXERCISE else [])
    return "".join(f"{name}=={metadata.version(name)}\n" for name in names)


def _stage(exercise: str, stage: Path, cases: list[Case], *, seed: int, lenet: str) -> None:
    """Lay out what `otter generate` reads: tests/, otter_config.json, requirements.txt and support/ files."""
    (stage / "tests").mkdir(parents=True)
    (stage / "tests" / f"{exercise}.py").write_text(test_file_source(exercise, cases, seed=seed, lenet=lenet),
                                                    encoding="utf-8")
    (stage / "otter_config.json").write_text(json.dumps(OTTER_CONFIG, indent=2), encoding="utf-8")
    (stage / "requirements.txt").write_text(requirements(exercise), encoding="utf-8")
    for target, source in _support_files(exercise, lenet).items():
        (stage / "support" / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, stage / "support" / target)


def _generate_in_process(jobs: list[list[str]]) -> None:
    """Run `otter generate` for each [stage folder, zip path]; its support files are the stage's support/."""
    from otter.generate import main as generate

    for stage, zip_path in jobs:
        os.chdir(Path(stage) / "support")
        generate(tests_dir=f"{stage}/tests", output_path=zip_path, config=f"{stage}/otter_config.json",
                 requirements=f"{stage}/requirements.txt", no_environment=True, files=sorted(os.listdir(".")),
                 python_version=f"{sys.version_info.major}.{sys.version_info.minor}")


def build_all(out_dir: Path, exercises: list[str] = EXERCISE_NAMES, *, seed: int = DEFAULT_SEED,
              lenet: str = "weights") -> list[Path]:
    """Write `out_dir/<exercise>.zip` for each exercise with `otter generate` (in one child process)."""
    unknown = sorted(set(exercises) - set(EXERCISE_NAMES))
    if unknown:
        raise ValueError(f"exercises must be among {', '.join(EXERCISE_NAMES)}; got {', '.join(unknown)}")
    if lenet not in course.LENET_MODES:
        raise ValueError(f"lenet must be 'weights', 'train' or 'skip', got {lenet!r}")
    if KERAS_EXERCISE in exercises:
        lenet = lenet_mode_with_data(lenet, f"{KERAS_EXERCISE}.zip is built")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with scratch.folder("otter-zips") as tmp:
        jobs = []
        for exercise, cases in collect(list(exercises), lenet=lenet).items():
            _stage(exercise, tmp / exercise, cases, seed=seed, lenet=lenet)
            jobs.append([str(tmp / exercise), str(out_dir / f"{exercise}.zip")])
        done = subprocess.run([sys.executable, "-m", "autograder.otter.export", "generate", json.dumps(jobs)], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"otter generate failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return [Path(zip_path) for _, zip_path in jobs]


def otter_run_command(module_path: Path, zip_path: Path, out_dir: Path) -> list[str]:
    """The `otter run` command grading one module with one exercise's zip, writing `out_dir/results.json`."""
    return [sys.executable, "-m", "otter", "run", "-a", str(Path(zip_path).resolve()), "-o",
            str(Path(out_dir).resolve()), "--no-logo", str(Path(module_path).resolve())]


def parse_results(results_json: Path, exercise: str, zip_path: Path | None = None) -> dict[str, float]:
    """`{"earned": points, "possible": points}` of `exercise` from Otter's results.json (Gradescope format).

    When Otter failed before scoring (the kernel died), earned is 0 and possible is read from the zip.
    """
    results = json.loads(Path(results_json).read_text(encoding="utf-8"))
    for test in results.get("tests", []):
        if test.get("name") == exercise and "max_score" in test:
            return {"earned": float(test["score"]), "possible": float(test["max_score"])}
    if zip_path is not None and any(t.get("name") == "Autograder Failed" for t in results.get("tests", [])):
        return {"earned": 0.0, "possible": zip_possible(zip_path, exercise)}
    raise OtterRunError(f"Otter's results.json has no score for {exercise}")


def zip_possible(zip_path: Path, exercise: str) -> float:
    """The points of `exercise` in an autograder zip, read from its test file's `POSSIBLE` line."""
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(f"tests/{exercise}.py").decode("utf-8")
    return float(re.search(r"^POSSIBLE = (.+)$", text, re.M).group(1))


def zip_case_points(zip_path: Path, exercise: str) -> list[float]:
    """The points of each case of `exercise` in an autograder zip, read from its `@test_case(points=...)`."""
    import ast

    with zipfile.ZipFile(zip_path) as archive:
        tree = ast.parse(archive.read(f"tests/{exercise}.py").decode("utf-8"))
    return [float(ast.literal_eval(keyword.value)) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            for decorator in node.decorator_list if isinstance(decorator, ast.Call)
            for keyword in decorator.keywords if keyword.arg == "points"]


def write_submission(folder: Path, module_path: Path, exercise: str, extra_files: tuple[Path, ...] = ()) -> Path:
    """The submission `otter run` takes: `<exercise>.py`, or a zip of it with `extra_files` beside it."""
    submission = Path(folder) / (f"{exercise}.zip" if extra_files else f"{exercise}.py")
    if extra_files:
        with zipfile.ZipFile(submission, "w") as archive:
            archive.write(module_path, f"{exercise}.py")
            for path in extra_files:
                archive.write(path, Path(path).name)
    else:
        shutil.copyfile(module_path, submission)
    return submission


def otter_scores(module_path: Path, exercise: str, zip_path: Path, *, extra_files: tuple[Path, ...] = (),
                 timeout_s: float = 600.0) -> dict[str, float]:
    """Grade one module with `otter run` in a child process: `{"earned": ..., "possible": ...}` for `exercise`.

    The module is submitted as `<exercise>.py`; `extra_files` (e.g. `lenet5.weights.h5`) go beside it in a
    submission zip. Otter has no timeout of its own: after `timeout_s` the whole process group (Otter and
    its kernel) is killed and `OtterRunError` raised, as when Otter writes no score.
    """
    with scratch.folder("otter-run") as tmp:
        submission = write_submission(tmp, module_path, exercise, extra_files)
        out_dir = tmp / "out"
        out_dir.mkdir()
        process = subprocess.Popen(otter_run_command(submission, zip_path, out_dir), cwd=out_dir, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise OtterRunError(f"otter run did not finish within {timeout_s:g} s") from None
        finally:
            try:  # Otter's kernel, or anything the submission started, must not outlive the run.
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.communicate()
        if not (out_dir / "results.json").is_file():
            raise OtterRunError(f"otter run exited {process.returncode} without results.json:\n{output[-2000:]}")
        return parse_results(out_dir / "results.json", exercise, zip_path)


def main(out_dir: str, *, exercises: list[str] | None = None, seed: int = DEFAULT_SEED, lenet: str = "weights") -> int:
    """`convkit otter OUT_DIR`: write the zips and say how to use them."""
    try:
        zips = build_all(Path(out_dir), exercises or EXERCISE_NAMES, seed=seed, lenet=lenet)
    except ValueError as error:
        print(f"convkit otter: {error}", file=sys.stderr)
        return 2
    for path in zips:
        print(f"wrote {path}")
    zip_path = Path(out_dir) / "<exercise>.zip"
    print(f"one submission, no Docker: otter run -a {zip_path} <exercise>.py\n"
          f"a class, with Docker: otter grade -a {zip_path} --ext py --timeout 600 -o OUT FOLDER_OF_STUDENT_PY_FILES")
    return 0


if __name__ == "__main__":
    # The child processes of `collect` and `build_all`: test modules and Otter are imported only here.
    if sys.argv[1] == "generate":
        _generate_in_process(json.loads(sys.argv[2]))
    else:
        print(json.dumps(_collect_in_process(sys.argv[3:], sys.argv[2])))
