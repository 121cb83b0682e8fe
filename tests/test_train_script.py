"""`python -m exercises.train` checks its arguments and finds MNIST before importing TensorFlow."""

import subprocess
import sys

import pytest

from autograder.stubs import ROOT


def run_train(tmp_path, *args, data_dir=None):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "CONVKIT_DATA_DIR": str(data_dir or tmp_path / "no-data")}
    code = ("import sys\nfrom exercises import train\ntry:\n    status = train.main(sys.argv[1:])\n"
            "except SystemExit as exit:\n    status = exit.code\n"
            "print('TF_IMPORTED' if {'tensorflow', 'keras'} & set(sys.modules) else 'TF_NOT_IMPORTED')\n"
            "sys.exit(status)")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("args, message", [
    pytest.param(["--out", "model.h5"], "must end with .weights.h5", id="out-without-weights-suffix"),
    pytest.param(["--out", "missing/lenet5.weights.h5"], "does not exist", id="out-folder-missing"),
    pytest.param(["--module", "nowhere.py"], "is not a file", id="module-missing"),
])
def test_bad_arguments_are_refused_before_tensorflow_starts(tmp_path, args, message):
    run = run_train(tmp_path, *args)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert "TF_NOT_IMPORTED" in run.stdout


def test_missing_data_is_reported_before_tensorflow_starts(tmp_path):
    # A module that imports Keras at its top, as many students write it: it must not be imported yet.
    (tmp_path / "ex06_lenet5.py").write_text("import keras\n")
    run = run_train(tmp_path, "--module", "ex06_lenet5.py")
    assert run.returncode == 1
    assert "mnist train split not found" in run.stderr and "download=True" in run.stderr
    assert "TF_NOT_IMPORTED" in run.stdout


def test_a_figures_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "figs").write_text("")
    run = run_train(tmp_path, "--figures", "figs")
    assert run.returncode == 2 and "is a file" in run.stderr
