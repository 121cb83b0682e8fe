"""The mistake catalogue (`exercises/mistakes.py`) gives the public and the hidden tests the same hints.

Each mutant of `tests/mutants.py` that names `hints` is written into a copy of exercises/ (the other modules
are the solutions), and one pytest run grades it with that exercise's public tests and its hidden tests
(in-process, `--convkit-inprocess=exercises`): both suites must print every one of its hints, and no other
hint than those, the ones it declares it may also get (`also`), the ValueError tests' (a mistake that drops an
argument check is told so) and the rules (`exercises.mistakes.RULES`, for answers no known mistake gives).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from autograder import course
from autograder.hidden import test_ex01_convolution as hidden
from exercises import checks, mistakes
from solutions import ex01_convolution as reference
from solutions import ex05_parameters

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = ROOT / "autograder" / "hidden"
_SPEC = importlib.util.spec_from_file_location("convkit_mutants", ROOT / "tests" / "mutants.py")
catalogue = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(catalogue)
HINTED = [m for m in catalogue.MUTANTS if m.hints]


def loop(image, kernel, stop):
    """A correctly sized output filled by a loop whose rows/columns stop at `stop(n, k)`."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(min(stop(image.shape[0], kh), out.shape[0])):
        for j in range(min(stop(image.shape[1], kw), out.shape[1])):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def message(answer, image, kernel, hint=None):
    expected = reference.correlate2d(image, kernel)
    with pytest.raises(checks.CheckFailure) as failure:
        checks.check_array(answer, expected, "correlate2d", hint=hint,
                           mistakes=hidden._correlate_mistakes(reference, image, kernel, expected))
    return str(failure.value)


@pytest.mark.parametrize("kernel_shape", [(1, 1), (2, 2), (1, 2)], ids=["k1x1", "k2x2", "k1x2"])
def test_the_lessons_range_h_minus_2_loop_gets_its_hint_and_not_the_1x1_hint(kernel_shape):
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(7, 6)), rng.normal(size=kernel_shape)
    text = message(loop(image, kernel, lambda n, k: n - 2), image, kernel,
                   hint="a 1x1 kernel multiplies every pixel by its one weight; the output keeps the image's shape")
    assert "range(H - 2)" in text and "keeps the image's shape" not in text


def test_a_range_h_minus_kh_loop_is_told_about_range_h_minus_kh_not_range_h_minus_2():
    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(8, 9)), rng.normal(size=(4, 3))
    text = message(loop(image, kernel, lambda n, k: n - k), image, kernel)
    assert "range(H - kh + 1)" in text and "range(H - 2)" not in text
    short = reference.correlate2d(image, kernel)[:-1, :-1]
    text = message(short, image, kernel)
    assert "range(H - kh)" in text and "range(H - 2)" not in text


@pytest.mark.parametrize("shape, kernel_shape", [((4, 5), (4, 3)), ((5, 2), (2, 2)), ((3, 3), (1, 3))],
                         ids=["one-row", "one-column", "1x3-kernel-one-column"])
def test_an_answer_left_all_zero_is_not_told_that_its_last_row_was_never_filled(shape, kernel_shape):
    rng = np.random.default_rng(3)
    image, kernel = rng.normal(size=shape), rng.normal(size=kernel_shape)
    text = message(np.zeros_like(reference.correlate2d(image, kernel)), image, kernel)
    assert "never filled" not in text and "range(H - 2)" not in text


LENET = [{"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"}, {"type": "max_pool2d"},
         {"type": "conv2d", "filters": 16, "kernel_size": (5, 3)}, {"type": "max_pool2d"}, {"type": "flatten"},
         {"type": "dense", "units": 120}, {"type": "dense", "units": 10, "use_bias": False}]


def layer_counts(layers, shape):
    totals = [ex05_parameters.count_params(layers[:end], shape) for end in range(len(layers) + 1)]
    return [after - before for before, after in zip(totals[:-1], totals[1:], strict=True)]


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 30, 3)], ids=["grey", "rgb"])
def test_count_params_mistakes_carry_each_layer_mistake_into_the_total(shape):
    counts = layer_counts(LENET, shape)
    found = mistakes.count_params_mistakes(LENET, counts)
    # A bias per input channel in every conv layer: 1 or 3 biases for the first, 6 for the second, not 6 and 16.
    per_channel = sum(counts) - 6 - 16 + shape[2] + 6
    assert (per_channel, mistakes.CONV_BIAS_PER_CHANNEL) in found
    assert next(h for value, h in found if value == per_channel) == mistakes.CONV_BIAS_PER_CHANNEL
    # One bias per weight in conv and dense layers alike, as in the sample class's ivy_bias_miscount.
    weights, last_weights = sum(counts) - 6 - 16 - 120, counts[-1]  # the last layer has no bias to double
    assert next(h for value, h in found if value == 2 * weights - last_weights) == mistakes.BIAS_PER_WEIGHT
    no_dense_bias = sum(counts) - 120
    assert next(h for value, h in found if value == no_dense_bias) == mistakes.DENSE_NO_BIAS


def test_count_params_mistakes_refuse_counts_that_are_not_a_layers():
    with pytest.raises(ValueError, match="not the parameter count of a conv layer"):
        mistakes.count_params_mistakes(LENET[:1], [7])
    with pytest.raises(ValueError, match="one count per layer"):
        mistakes.count_params_mistakes(LENET, [156])


def grade_with_both_suites(mutant, workdir: Path) -> dict[str, str]:
    """The failure texts of the mutant's exercise, public tests and hidden tests in one pytest run:
    {"public": text, "hidden": text}."""
    package = workdir / "exercises"
    shutil.copytree(ROOT / "exercises", package, ignore=shutil.ignore_patterns("__pycache__", "test_*.py"))
    for name in course.names("numpy"):
        shutil.copyfile(ROOT / "solutions" / f"{name}.py", package / f"{name}.py")
    (package / f"{mutant.exercise}.py").write_text(catalogue.mutant_source(mutant), encoding="utf-8")
    public = package / f"test_{mutant.exercise}.py"
    shutil.copyfile(ROOT / "exercises" / public.name, public)
    report = workdir / "report.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(workdir), str(ROOT)]), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-p", "no:hypothesispytest", "-c", str(HIDDEN / "pytest.ini"), "--rootdir", str(workdir),
               "--convkit-inprocess=exercises", f"--junitxml={report}", str(public), str(HIDDEN / public.name)]
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"pytest exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    texts = {"public": "", "hidden": ""}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        suite = "public" if case.get("classname").startswith("exercises.") else "hidden"
        texts[suite] += "".join(child.text or "" for child in case if child.tag in ("failure", "error"))
    return texts


@pytest.fixture(scope="module")
def failure_texts(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Every hinted mutant graded once by both suites (two at a time): mutant id -> suite -> failure text."""
    base = tmp_path_factory.mktemp("hinted")

    def run(index_mutant):
        index, mutant = index_mutant
        workdir = base / f"m{index:02d}"
        workdir.mkdir()
        return mutant.id, grade_with_both_suites(mutant, workdir)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, enumerate(HINTED)))


def test_the_hinted_mutants_cover_the_catalogue_of_exercises_3_to_5():
    assert {m.exercise for m in HINTED} == set(course.names("numpy"))
    assert len(HINTED) >= 25


def given_hints(text: str) -> set[str]:
    """The hints a suite's failure text gives (its "hint: ..." lines, exercises/checks.py)."""
    return set(re.findall(r"^\s*E?\s*hint: (.*)$", text, re.M))


@pytest.mark.parametrize("mutant", HINTED, ids=[m.id for m in HINTED])
def test_the_public_and_the_hidden_tests_both_give_the_mutants_hint_and_no_other(failure_texts, mutant):
    texts = failure_texts[mutant.id]
    for suite in ("public", "hidden"):
        assert texts[suite], f"{mutant.id} ({mutant.description}) fails no {suite} test"
        given = given_hints(texts[suite])
        missing = [h for h in mutant.hints if h not in given]
        assert not missing, f"the {suite} tests do not tell {mutant.id} ({mutant.description}): {missing}"
        # A mistake that also drops an argument check is told so by the ValueError tests, and an answer no
        # known mistake gives may be told the rule; nothing else.
        allowed = {*mutant.hints, *mutant.also, *mistakes.RULES}
        misleading = sorted(h for h in given - allowed if "raise ValueError" not in h)
        assert not misleading, f"the {suite} tests tell {mutant.id} ({mutant.description}) also: {misleading}"
