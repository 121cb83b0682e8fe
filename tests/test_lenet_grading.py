"""LeNet accuracy grading in weights mode: trained weights pass, untrained or missing weights do not.

The model is built and run only in the sandbox; the trusted side picks the shifted MNIST test images.
"""

import csv
import os
import shutil
import subprocess
import sys

import pytest

from autograder.stubs import ROOT

ADA = ROOT / "examples" / "sample_class" / "ada_reference"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    keras = pytest.importorskip("keras")
    if not os.environ.get("CONVKIT_DATA_DIR"):
        pytest.fail("set CONVKIT_DATA_DIR to the folder with mnist/ (../shared/datasets)")
    class_dir = tmp_path_factory.mktemp("lenet") / "class"
    shutil.copytree(ADA, class_dir / "trained")
    shutil.copytree(ADA, class_dir / "untrained")
    shutil.copytree(ADA, class_dir / "no_weights", ignore=shutil.ignore_patterns("*.h5"))
    sys.path.insert(0, str(ADA))
    try:
        import ex06_lenet5
        keras.utils.set_random_seed(1)
        ex06_lenet5.build_lenet5().save_weights(class_dir / "untrained" / "lenet5.weights.h5")
    finally:
        sys.path.remove(str(ADA))
        sys.modules.pop("ex06_lenet5", None)
    out = class_dir.parent / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
                          "--lenet", "weights", "--jobs", "2"], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as handle:
        return out, {row["student"]: row for row in csv.DictReader(handle)}


def test_trained_weights_earn_every_lenet_point(graded):
    assert graded[1]["trained"]["ex06_lenet5"] == "10"


def test_an_untrained_model_keeps_the_architecture_points_only(graded):
    out, table = graded
    assert table["untrained"]["ex06_lenet5"] == "5"
    assert "expected at least 95 %" in (out / "untrained" / "feedback.md").read_text()


def test_missing_weights_fail_the_accuracy_tests_with_not_submitted(graded):
    out, table = graded
    assert table["no_weights"]["ex06_lenet5"] == "5"
    assert "not submitted: lenet5.weights.h5" in (out / "no_weights" / "feedback.md").read_text()


def test_without_mnist_the_accuracy_tests_are_not_run_and_the_console_says_why(tmp_path):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    for name in ("ex06_lenet5.py", "lenet5.weights.h5"):
        shutil.copy(ADA / name, tmp_path / "class" / "ada")
    (tmp_path / "no-data").mkdir()
    out = tmp_path / "out"
    environ = {key: value for key, value in os.environ.items() if key != "CONVKIT_DATA_DIR"}
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out", str(out),
                          "--lenet", "weights"], capture_output=True, text=True, timeout=600,
                         env={**environ, "KERAS_HOME": str(tmp_path / "no-data")})
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["ex06_lenet5"], row["possible"]) == ("5", "55"), "the accuracy points count in no total"
    console = " ".join(run.stderr.split())
    assert "note: 2 test(s) of 1 student(s) count in no total, not run: the grader found no MNIST test files" \
        in console
    assert "CONVKIT_DATA_DIR" in console
    assert "found no MNIST test files" in (out / "ada" / "feedback.md").read_text()


def test_a_data_folder_named_but_without_mnist_stops_the_grade_before_any_student(tmp_path):
    (tmp_path / "class" / "ada").mkdir(parents=True)
    shutil.copy(ADA / "ex06_lenet5.py", tmp_path / "class" / "ada")
    (tmp_path / "no-data").mkdir()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out",
                          str(tmp_path / "out"), "--lenet", "weights"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "CONVKIT_DATA_DIR": str(tmp_path / "no-data")})
    assert run.returncode == 2
    assert "CONVKIT_DATA_DIR names" in run.stderr and "--lenet skip" in run.stderr
    assert not (tmp_path / "out" / "grades.csv").exists(), "no student may be graded without their LeNet points"
