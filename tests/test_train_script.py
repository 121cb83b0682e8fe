"""`python -m exercises.train` checks its arguments and finds MNIST before importing TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest

from autograder.stubs import ROOT
from exercises import train


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
    pytest.param(["--validation", "-1"], "--validation -1 must be between 0", id="validation-negative"),
    pytest.param(["--validation", "50000"], "--validation 50000 must be between 0", id="validation-too-many"),
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


def test_validation_data_is_passed_only_to_a_train_lenet5_that_takes_it():
    def exercise(model, x_train, y_train, *, validation_data=None, epochs=2): ...
    def older(model, x_train, y_train, epochs=2): ...
    def anything(model, x_train, y_train, **options): ...
    assert train.takes_validation_data(exercise) and train.takes_validation_data(anything)
    assert not train.takes_validation_data(older)


def test_the_figures_show_validation_curves_and_each_conv_layers_maps_titled_by_filter():
    from solutions import ex06_lenet5

    model = ex06_lenet5.build_lenet5()
    digits = np.random.default_rng(4).random((2, 28, 28, 1), dtype=np.float32)
    logs = {"loss": [0.3, 0.1], "accuracy": [0.9, 0.97], "val_loss": [0.2, 0.1], "val_accuracy": [0.94, 0.97]}
    drawn = train.figures(model, logs, digits, np.array([7, 2]))
    assert sorted(drawn) == ["feature_maps.png", "first_layer_kernels.png", "training_curves.png"]
    curves = drawn["training_curves.png"].axes
    assert [[line.get_label() for line in axis.get_lines()] for axis in curves] == [["train", "validation"]] * 2
    titles = [axis.get_title() for axis in drawn["feature_maps.png"].axes if axis.images and axis.get_title()]
    assert titles == ["input: digit 7"] + [f"conv1: filter {k}" for k in range(6)] + [
        f"conv2: filter {k}" for k in range(16)]
    maps = train.conv_layer_maps(model, digits[0])
    assert {name: stack.shape for name, stack in maps.items()} == {"conv1": (28, 28, 6), "conv2": (10, 10, 16)}
