"""`convkit gradescope`: the autograder zip, and its run_autograder end to end on a fake /autograder tree.

The fake tree is the zip extracted into `source/`, as Gradescope does; run_autograder must run the zip's own
copy of the kit even though this process's interpreter (and PYTHONPATH) could import the checkout.
"""

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder import gradescope
from autograder.grading import feedback
from autograder.stubs import ROOT

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The zip `convkit gradescope` builds with the default settings (no MNIST files: --lenet skip)."""
    out = tmp_path_factory.mktemp("gradescope")
    run = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(out), "--lenet", "skip",
                          "--timeout", "3"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out / gradescope.ZIP_NAME


def test_the_zip_has_gradescope_entry_points_and_the_kit_source(archive):
    with zipfile.ZipFile(archive) as bundle:
        names = set(bundle.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in bundle.infolist()}
    assert {"setup.sh", "run_autograder", gradescope.CONFIG_NAME, "convkit/pyproject.toml",
            "convkit/autograder/sandbox/__init__.py", "convkit/autograder/hidden/test_ex01_convolution.py"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(name.endswith((".gz", ".pyc")) for name in names)
    with zipfile.ZipFile(archive) as bundle:
        assert json.loads(bundle.read(gradescope.CONFIG_NAME))["visibility"] == "visible"
        setup = bundle.read("setup.sh").decode()
    assert setup.index("pip install") < setup.index("pip uninstall -q -y convkit"), "one copy of the kit: the zip's"


def fake_tree(tmp_path, archive, files: dict[str, Path]) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(root / "source")
    for name, source in files.items():
        shutil.copy(source, root / "submission" / name)
    return root


def run_autograder(root: Path) -> dict:
    env = {**os.environ, "CONVKIT_AUTOGRADER_ROOT": str(root), "CONVKIT_PYTHON": sys.executable,
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                         text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    # Run from the checkout with the checkout on PYTHONPATH, the zip's copy must still be the kit that grades.
    assert f"from {(root / 'source' / 'convkit').resolve()}:" in run.stdout, run.stdout
    assert run.stdout.startswith("isolation: "), run.stdout[:300]  # The layers, for the instructor's eyes only.
    data = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def test_run_autograder_grades_a_correct_submission_with_full_marks_on_it(tmp_path, archive):
    data = run_autograder(fake_tree(tmp_path, archive, {"ex01_convolution.py": ROOT / "solutions" /
                                                        "ex01_convolution.py"}))
    ex01 = [t for t in data["tests"] if t["name"].startswith("ex01_convolution")]
    assert ex01 and all(t["score"] == t["max_score"] for t in ex01)
    assert data["score"] == sum(t["max_score"] for t in ex01)


def test_run_autograder_ignores_a_forged_results_file_and_extra_files(tmp_path, archive):
    root = fake_tree(tmp_path, archive, {"ex01_convolution.py": ROOT / "exercises" / "ex01_convolution.py"})
    (root / "submission" / "results.json").write_text('{"score": 100, "tests": []}')
    (root / "submission" / "conftest.py").write_text("raise SystemExit(0)\n")
    data = run_autograder(root)
    assert data["score"] == 0
    assert "conftest.py" in data["output"]


def pngs(output: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', output)]


def test_a_wrong_answer_gets_the_local_feedback_text_and_its_picture_embedded(tmp_path, archive):
    eve = ROOT / "examples" / "sample_class" / "eve_noflip" / "ex01_convolution.py"
    data = run_autograder(fake_tree(tmp_path, archive, {"ex01_convolution.py": eve}))
    local = {f"{t['exercise']}: {t['name']}": t for t in data["extra_data"]["convkit"]["tests"]}
    failed = [t for t in data["tests"] if t.get("status") == "failed"]
    assert failed and all(t["output_format"] == "html" for t in data["tests"])
    for test in failed:
        text = html.unescape(re.fullmatch(r"(?s)<pre>(.*?)</pre>.*", test["output"]).group(1))
        assert text == local[test["name"]]["output"], "the same message as feedback.md"
    pictures = [png for test in failed for png in pngs(test["output"])]
    assert 1 <= len(pictures) <= feedback.MAX_EMBEDDED_FIGURES
    assert all(png.startswith(b"\x89PNG") and len(png) <= feedback.MAX_EMBEDDED_BYTES for png in pictures)
    flip = next(t for t in failed if "flips the kernel" in t["name"] and pngs(t["output"]))
    assert "the kernel was not flipped" in flip["output"]


def test_a_students_html_in_messages_and_file_names_stays_inert(tmp_path, archive):
    module = tmp_path / "ex01_convolution.py"
    module.write_text("def correlate2d(image, kernel):\n    raise ValueError('<script>alert(1)</script>')\n\n"
                      "def convolve2d(image, kernel):\n    print('<img src=x onerror=alert(2)>')\n    return image\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    data = run_autograder(fake_tree(tmp_path, archive, {"ex01_convolution.py": module,
                                                                      "<img src=x onerror=alert(3)>.txt": notes}))
    outputs = "".join(t["output"] for t in data["tests"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outputs, "the student's message is shown, escaped"
    assert "<script" not in outputs and "<img src=x" not in outputs
    assert "onerror=alert(3)" in data["output"] and data["output_format"] == "text"


def test_the_visibility_chosen_when_the_zip_is_built_applies_to_every_test(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(tmp_path / "zip"), "--lenet", "skip",
                          "--timeout", "3", "--visibility", "after_published"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    archive = tmp_path / "zip" / gradescope.ZIP_NAME
    with zipfile.ZipFile(archive) as bundle:
        assert json.loads(bundle.read(gradescope.CONFIG_NAME))["visibility"] == "after_published"
    stub = ROOT / "exercises" / "ex01_convolution.py"
    data = run_autograder(fake_tree(tmp_path, archive, {"ex01_convolution.py": stub}))
    assert data["tests"] and {t["visibility"] for t in data["tests"]} == {"after_published"}
    assert data["visibility"] == "visible" and "points" not in data["output"]
    with pytest.raises(ValueError, match="visibility must be one of"):
        gradescope.write_zip(tmp_path / "bad", lenet="skip", visibility="later")
    refused = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(tmp_path / "bad"),
                              "--visibility", "later"], capture_output=True, text=True)
    assert refused.returncode == 2 and "after_due_date" in refused.stderr


def test_a_weights_mode_zip_carries_the_mnist_test_files_and_grades_lenet_accuracy(tmp_path):
    if not os.environ.get("CONVKIT_DATA_DIR"):
        pytest.fail("set CONVKIT_DATA_DIR to the folder with mnist/ (../shared/datasets)")
    run = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(tmp_path / "zip")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    archive = tmp_path / "zip" / gradescope.ZIP_NAME
    with zipfile.ZipFile(archive) as bundle:
        data_files = sorted(name for name in bundle.namelist() if name.endswith(".gz"))
    assert data_files == ["convkit/datasets/mnist/t10k-images-idx3-ubyte.gz",
                          "convkit/datasets/mnist/t10k-labels-idx1-ubyte.gz"]
    ada = ROOT / "examples" / "sample_class" / "ada_reference"
    env_without_data = {k: v for k, v in os.environ.items() if k != "CONVKIT_DATA_DIR"}
    root = fake_tree(tmp_path, archive, {name: ada / name for name in ("ex06_lenet5.py", "lenet5.weights.h5")})
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                         timeout=600, env={**env_without_data, "CONVKIT_AUTOGRADER_ROOT": str(root),
                                           "CONVKIT_PYTHON": sys.executable})
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    accuracy = [t for t in results["tests"] if "accuracy" in t["name"]]
    assert len(accuracy) == 2 and all(t.get("status") == "passed" for t in accuracy), accuracy
