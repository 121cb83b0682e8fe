"""Student data never raises in trusted code: a wrong answer with huge finite values only loses its picture."""

import numpy as np

from autograder.grading import student
from autograder.results import TestResult


def test_a_wrong_answer_with_huge_finite_values_drops_only_its_picture(tmp_path):
    got = np.full((5, 5), 1e308)
    got[0, 0] = -1e308
    collector = student.Collector(provider=None, error_log=tmp_path / "log", figure_dir=tmp_path)
    test = TestResult(exercise="ex01_convolution", name="correlate2d matches reference", max_score=1.0)
    assert collector._draw(test, got, np.zeros((5, 5))) == ""
    assert not list(tmp_path.glob("*.png"))


def test_an_ordinary_wrong_answer_is_still_pictured(tmp_path):
    collector = student.Collector(provider=None, error_log=tmp_path / "log", figure_dir=tmp_path)
    test = TestResult(exercise="ex01_convolution", name="correlate2d matches reference", max_score=1.0)
    name = collector._draw(test, np.ones((5, 5)), np.zeros((5, 5)))
    assert name and (tmp_path / name).is_file()
