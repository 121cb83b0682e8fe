"""Bad submissions graded through `convkit grade`: hard-coded public answers (row 29), a huge Keras model
(row 33), and a class where every student misbehaves differently still gets one row each."""

import csv
import subprocess
import sys
import textwrap

import pytest

HARD_CODED = '''
import numpy as np

def correlate2d(image, kernel):
    # The public test's edge example, hard-coded.
    return np.array([[0.0, 18.0, 0.0]] * 3)

def convolve2d(image, kernel):
    return -correlate2d(image, kernel)
'''

HUGE_MODEL = '''
import keras

def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(4_000_000)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))

def train_lenet5(model, x_train, y_train):
    return model.fit(x_train, y_train)
'''


def grade(class_dir, out, *extra):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out), *extra],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_hard_coded_public_answers_pass_the_public_test_but_not_the_hidden_ones(tmp_path):
    write(tmp_path / "class" / "hank" / "ex01_convolution.py", HARD_CODED)
    public = subprocess.run([sys.executable, "-c", textwrap.dedent(f'''
        import sys, numpy as np
        sys.path.insert(0, {str(tmp_path / "class" / "hank")!r})
        import ex01_convolution as ex
        step = np.array([[0, 0, 9, 9]] * 4, dtype=np.uint8)
        print(ex.correlate2d(step, np.array([[-1, 1], [-1, 1]])).tolist())''')], capture_output=True, text=True)
    assert public.stdout.strip() == "[[0.0, 18.0, 0.0], [0.0, 18.0, 0.0], [0.0, 18.0, 0.0]]"
    table = grade(tmp_path / "class", tmp_path / "out", "--lenet", "skip")
    assert float(table["hank"]["ex01_convolution"]) <= 1


def test_a_model_too_large_for_the_memory_limit_fails_its_tests_and_the_batch_goes_on(tmp_path):
    pytest.importorskip("keras")
    write(tmp_path / "class" / "huge" / "ex06_lenet5.py", HUGE_MODEL)
    write(tmp_path / "class" / "zoe" / "ex05_parameters.py", "def dense_params(i, u, use_bias=True):\n"
                                                              "    return i * u + (u if use_bias else 0)\n")
    table = grade(tmp_path / "class", tmp_path / "out", "--lenet", "skip")
    assert table["huge"]["ex06_lenet5"] == "0" and table["huge"]["status"] == "ok"
    feedback = (tmp_path / "out" / "huge" / "feedback.md").read_text()
    assert "memory" in feedback.lower() or "OOM when allocating" in feedback
    assert float(table["zoe"]["ex05_parameters"]) >= 2


def test_a_module_that_raises_value_error_for_everything_earns_nothing(tmp_path):
    write(tmp_path / "class" / "lazy" / "ex01_convolution.py", '''
        def correlate2d(image, kernel):
            raise ValueError("no")

        def convolve2d(image, kernel):
            raise ValueError("no")
        ''')
    table = grade(tmp_path / "class", tmp_path / "out", "--lenet", "skip")
    assert table["lazy"]["ex01_convolution"] == "0"
    feedback = (tmp_path / "out" / "lazy" / "feedback.md").read_text()
    assert "raised ValueError on arguments that break no rule" in feedback
