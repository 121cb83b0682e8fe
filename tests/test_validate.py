"""`convkit validate` grades the solutions, the stubs and the mutants through the real grading path."""

import subprocess
import sys
from types import SimpleNamespace

from autograder import validate
from autograder.results import PASSED, StudentResult, TestResult


def test_validate_without_mutants_gives_the_solutions_every_point_and_the_stubs_none():
    run = subprocess.run([sys.executable, "-m", "autograder", "validate", "--no-mutants"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "validate: solutions 60/60, stubs 0, mutants 0, problems 0" in run.stdout, \
        "with MNIST at hand the LeNet accuracy tests count too (60 points in all)"


def result(student, points):
    tests = [TestResult(name, "t", 10, earned, PASSED if earned == 10 else "failed") for name, earned in points.items()]
    return StudentResult(student=student, tests=tests, files=[f"{name}.py" for name in points])


def test_a_mutant_that_keeps_its_points_or_a_stub_that_scores_is_a_problem():
    mutant = SimpleNamespace(id="m1", exercise="ex01_convolution", description="does nothing wrong")
    results = {"solutions": result("solutions", {"ex01_convolution": 10}),
               "stubs": result("stubs", {"ex01_convolution": 3}),
               "mutant-m1": result("mutant-m1", {"ex01_convolution": 10})}
    found = validate.problems(results, [(mutant, "")])
    assert any("stubs: ex01_convolution got 3" in p for p in found)
    assert any("mutant m1: kept every point" in p for p in found)
    results["mutant-m1"] = result("mutant-m1", {"ex01_convolution": 7, "ex02_padding": 0})
    results["solutions"] = result("solutions", {"ex01_convolution": 10, "ex02_padding": 10})
    assert any("mutant m1: lost points on ex02_padding" in p for p in validate.problems(results, [(mutant, "")]))
    results["solutions"] = result("solutions", {"ex01_convolution": 10})
    results["stubs"] = result("stubs", {"ex01_convolution": 0})
    results["mutant-m1"] = result("mutant-m1", {"ex01_convolution": 7})
    assert validate.problems(results, [(mutant, "")]) == []
