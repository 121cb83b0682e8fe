"""A realistic class, different from the sample class: the same correct code handed in every accepted shape
must score the same; a student with nothing gradable is flagged; a student's own exception is named; LeNet-5
variants the contract allows earn every architecture point.

Graded with `--lenet skip` and a short timeout; the numpy exercises ex01-ex05 carry the comparison.
"""

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.stubs import ROOT

NUMPY = ["ex01_convolution", "ex02_padding", "ex03_feature_maps", "ex04_pooling", "ex05_parameters"]
SOLUTIONS = ROOT / "solutions"


def source(name: str) -> str:
    return (SOLUTIONS / f"{name}.py").read_text()


def as_notebook(text: str) -> str:
    """A notebook whose code cells hold `text` split at its top-level definitions, with a magic cell."""
    cells = [["%load_ext autoreload\n", "!echo hello\n"]]
    for chunk in text.split("\n\n\ndef "):
        cells.append(chunk if not cells[1:] else "def " + chunk)
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# My work"}] + [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells]})


def zip_of(path: Path, members: dict[str, str | bytes]) -> None:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)


def folder_of(path: Path, members: dict[str, str]) -> None:
    for name, data in members.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(data)


#: Hand-in shape -> how the student entry is built from the correct modules.
SHAPES = {
    "flat-folder": lambda d: folder_of(d / "flat", {f"{n}.py": source(n) for n in NUMPY}),
    "wrapped-folder": lambda d: folder_of(d / "wrapped", {f"my-work/{n}.py": source(n) for n in NUMPY}),
    "zip-of-repository": lambda d: zip_of(d / "repo.zip", {
        **{f"convkit-main/exercises/{n}.py": source(n) for n in NUMPY},
        "convkit-main/README.md": "# course\n", "convkit-main/exercises/checks.py": "x = 1\n"}),
    "notebooks": lambda d: folder_of(d / "notebooks", {f"{n}.ipynb": as_notebook(source(n)) for n in NUMPY}),
    "macos-zip": lambda d: zip_of(d / "mac.zip", {
        **{f"mac/{n}.py": source(n) for n in NUMPY}, "mac/.DS_Store": b"\0\0\0\1Bud1",
        **{f"__MACOSX/mac/._{n}.py": b"\0\5\26\7" for n in NUMPY}}),
}
#: LeNet-5 variants the contract allows (activations as layers of their own, a leading Rescaling, max pooling,
#: tanh): each passes the public test, and must earn every architecture point of the hidden suite too.
LENET_VARIANTS = {
    "lenet_activation_layers": """
import keras
L = keras.layers

def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(input_shape), L.Rescaling(1.0), L.Conv2D(6, 5, padding="same"), L.ReLU(),
        L.AveragePooling2D(2), L.Conv2D(16, 5), L.LeakyReLU(), L.AveragePooling2D(2), L.Flatten(),
        L.Dense(120), L.Activation("relu"), L.Dense(84), L.ReLU(), L.Dense(num_classes), L.Softmax()])

def train_lenet5(model, x_train, y_train):
    raise NotImplementedError
""",
    "lenet_max_pool_tanh": """
import keras
L = keras.layers

def build_lenet5(input_shape=(28, 28, 1), num_classes=10):
    inputs = keras.Input(input_shape)
    x = L.Conv2D(6, (5, 5), padding="same", activation="tanh")(inputs)
    x = L.MaxPooling2D((2, 2))(x)
    x = L.Conv2D(16, (5, 5), activation="tanh")(x)
    x = L.MaxPooling2D((2, 2))(x)
    x = L.Flatten()(x)
    x = L.Dense(120, activation="tanh")(x)
    x = L.Dense(84, activation="tanh")(x)
    return keras.Model(inputs, L.Dense(num_classes, activation="softmax")(x))

def train_lenet5(model, x_train, y_train):
    raise NotImplementedError
""",
}
STUDENT = {"flat-folder": "flat", "wrapped-folder": "wrapped", "zip-of-repository": "repo",
           "notebooks": "notebooks", "macos-zip": "mac"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    class_dir = tmp_path_factory.mktemp("realistic") / "class"
    class_dir.mkdir()
    for build in SHAPES.values():
        build(class_dir)
    folder_of(class_dir / "empty", {"notes.txt": "I will hand in later\n"})
    broken = source("ex01_convolution").replace("def correlate2d(", "def _unused(", 1) + (
        "\n\ndef correlate2d(image, kernel):\n    return 1 / 0\n")
    folder_of(class_dir / "divides", {"ex01_convolution.py": broken})
    for student, module in LENET_VARIANTS.items():
        folder_of(class_dir / student, {"ex06_lenet5.py": module})
    out = class_dir.parent / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(class_dir), "--out", str(out),
                          "--lenet", "skip", "--timeout", "3", "--jobs", "2"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as handle:
        return out, {row["student"]: row for row in csv.DictReader(handle)}


def test_every_hand_in_shape_scores_the_same_as_the_flat_folder(graded):
    out, rows = graded
    table = {shape: (rows[STUDENT[shape]]["total"], rows[STUDENT[shape]]["status"]) for shape in SHAPES}
    print("\nhand-in shape -> score:", json.dumps(table, indent=1))
    reference = rows["flat"]
    assert float(reference["total"]) > 0 and reference["status"] == "ok"
    for shape, student in STUDENT.items():
        row = rows[student]
        assert [row[n] for n in NUMPY] == [reference[n] for n in NUMPY], shape
        assert row["status"] == "ok", shape


@pytest.mark.parametrize("student", sorted(LENET_VARIANTS))
def test_a_legitimate_lenet_variant_earns_every_architecture_point(graded, student):
    _, rows = graded
    assert (rows[student]["ex06_lenet5"], rows[student]["status"]) == ("5", "ok")


def test_the_macos_junk_and_repository_extras_leave_no_noise_warnings_about_junk(graded):
    out, _ = graded
    feedback = (out / "mac" / "feedback.md").read_text()
    assert "__MACOSX" not in feedback and ".DS_Store" not in feedback


def test_a_student_with_nothing_gradable_is_flagged_not_ok(graded):
    _, rows = graded
    assert rows["empty"]["status"] == "nothing graded"


def test_a_students_own_exception_is_named_by_its_real_type(graded):
    out, rows = graded
    text = (out / "divides" / "results.json").read_text()
    assert "ZeroDivisionError" in text
    assert "StudentException" not in text
    assert rows["divides"]["status"] == "ok"
