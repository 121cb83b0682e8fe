"""The public tests of exercises 1-5 fail on the stubs and pass on the reference solutions.

Both runs are real `pytest` runs in a subprocess, as a student would start them: (a) on exercises/ as
committed, where every test must fail with the stub's "... is not implemented yet" and nothing else; (b) on
a copy of the exercises/ package whose exNN modules are replaced by the solutions, where every test passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import course
from autograder.stubs import ROOT

MODULES = course.names()
TEST_FILES = [f"exercises/test_{module}.py" for module in MODULES]


@dataclass
class Run:
    """One pytest run: its exit status, its output and each test's outcome and message from the JUnit report."""

    returncode: int
    output: str
    outcomes: dict[str, tuple[str, str]]  # test id -> (outcome, message)

    def count(self, outcome: str) -> int:
        return sum(found == outcome for found, _ in self.outcomes.values())


def run_pytest(root: Path, report: Path) -> Run:
    """`pytest` on the public tests of exercises 1-5 under `root`, without cache or bytecode files."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root),
               "-c", os.devnull, f"--junitxml={report}", *TEST_FILES]
    run = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcome = "passed" if problem is None else problem.tag
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (outcome, "" if problem is None
                                                                    else problem.get("message", ""))
    return Run(run.returncode, run.stdout[-3000:] + run.stderr[-2000:], outcomes)


@pytest.fixture(scope="module")
def stub_run(tmp_path_factory) -> Run:
    return run_pytest(ROOT, tmp_path_factory.mktemp("stubs") / "report.xml")


@pytest.fixture(scope="module")
def solution_run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("solved")
    shutil.copytree(ROOT / "exercises", root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    for module in MODULES:
        shutil.copyfile(ROOT / "solutions" / f"{module}.py", root / "exercises" / f"{module}.py")
    return run_pytest(root, root / "report.xml")


def test_every_public_test_fails_on_the_stubs(stub_run):
    assert stub_run.returncode == 1, stub_run.output
    assert stub_run.count("failure") == len(stub_run.outcomes) >= 100, stub_run.output


def test_every_failure_on_the_stubs_says_not_implemented(stub_run):
    confusing = [f"{test}: {message}" for test, (_, message) in stub_run.outcomes.items()
                 if not message.startswith("NotImplementedError") or "is not implemented yet" not in message]
    assert confusing == [], "\n".join(confusing[:10])


def test_every_public_test_passes_on_the_solutions(solution_run, stub_run):
    assert solution_run.returncode == 0, solution_run.output
    assert solution_run.count("passed") == len(solution_run.outcomes) == len(stub_run.outcomes), solution_run.output


LESSON_LOOP = '''
import numpy as np


def correlate2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(image.shape[0] - 2):  # the lesson's loop: right for a 3x3 kernel only
        for j in range(image.shape[1] - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def convolve2d(image, kernel):
    return correlate2d(image, np.asarray(kernel)[::-1, ::-1])
'''


def test_the_lessons_loop_that_leaves_the_last_row_unfilled_gets_its_hint(tmp_path):
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "exercises" / "ex01_convolution.py").write_text(LESSON_LOOP)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
                          "--rootdir", str(tmp_path), "exercises/test_ex01_convolution.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "the last row or column of the output was never filled" in run.stdout, run.stdout[-3000:]
