"""Otter-Grader: the zips of `convkit otter` score each exercise exactly as the hidden suite does.

The oracle is the hidden suite run in-process (`pytest autograder/hidden/... --convkit-inprocess=PACKAGE`,
JUnit report, points from the markers: `grade` of tests/test_hidden_inprocess.py); the Otter side is
`otter run -a <zip> <module>` in a child process (`autograder.otter.export.otter_scores`). For the reference
solutions, the stubs and mutants of tests/mutants.py both must give the same points per exercise.
The full mutant sweep, the sample class and the Keras exercise are marked slow.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

from autograder import course, release
from autograder.otter import export as otter

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = course.names("numpy")
SAMPLE_CLASS = ROOT / "examples" / "sample_class"
#: Sample students whose code only computes (no endless loop, crash or tampering): Otter must agree on them.
DATA_DIR = os.environ.get("CONVKIT_DATA_DIR", "/work/shared/datasets")
HONEST_STUDENTS = ("ada_reference", "ben_loops", "cara_stubs", "dan_offbyone", "eve_noflip", "finn_pads_channels",
                   "gia_khw_stack", "hal_pool_stride", "ivy_bias_miscount")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inprocess = _load("convkit_hidden_inprocess", ROOT / "tests" / "test_hidden_inprocess.py")
catalogue = inprocess.catalogue


def first_mutant_of_each_exercise() -> list:
    return [next(m for m in catalogue.MUTANTS if m.exercise == exercise) for exercise in EXERCISES]


@pytest.fixture(scope="module")
def zips(tmp_path_factory) -> dict[str, Path]:
    """`convkit otter OUT_DIR` run as the instructor would: exercise -> its zip."""
    out = tmp_path_factory.mktemp("otter") / "zips"
    env = dict(os.environ, CONVKIT_DATA_DIR=DATA_DIR)
    done = subprocess.run([sys.executable, "-m", "autograder", "otter", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {path.stem: path for path in out.glob("*.zip")}


def package_of(modules: dict[str, Path], parent: Path) -> Path:
    """A folder holding package `candidate` with the given exercise modules; returns the folder."""
    package = parent / inprocess.CANDIDATE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for exercise, source in modules.items():
        shutil.copyfile(source, package / f"{exercise}.py")
    return parent


def compare(submissions: dict[str, dict[str, Path]], zips: dict[str, Path], workdir: Path) -> dict:
    """Submission -> exercise -> (Otter's (earned, possible), the in-process hidden suite's (earned, possible))."""
    def oracle(item):
        name, modules = item
        parent = package_of(modules, workdir / name)
        return name, inprocess.grade(inprocess.CANDIDATE, parent, parent)

    def by_otter(job):
        name, exercise, module = job
        scores = otter.otter_scores(module, exercise, zips[exercise], timeout_s=300)
        return name, exercise, (scores["earned"], scores["possible"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        expected = dict(pool.map(oracle, submissions.items()))
        jobs = [(name, exercise, module) for name, modules in submissions.items()
                for exercise, module in modules.items()]
        table: dict = {name: {} for name in submissions}
        for name, exercise, got in pool.map(by_otter, jobs):
            table[name][exercise] = (got, expected[name][exercise])
    print("\nsubmission                                exercise            otter    hidden suite")
    for name, row in table.items():
        for exercise, (got, want) in row.items():
            print(f"{name:<41} {exercise:<19} {got[0]:>4g}/{got[1]:g}  {want[0]:>4g}/{want[1]:g}")
    return table


def assert_agreement(table: dict) -> None:
    disagreements = {(name, exercise): scores for name, row in table.items()
                     for exercise, scores in row.items() if scores[0] != scores[1]}
    assert not disagreements, f"Otter and the hidden suite disagree (otter, hidden suite): {disagreements}"


@pytest.fixture(scope="module")
def default_table(zips, tmp_path_factory) -> dict:
    """Reference solutions, stubs and one mutant per exercise, graded by Otter and by the hidden suite."""
    workdir = tmp_path_factory.mktemp("agreement")
    submissions = {"reference": {e: ROOT / "solutions" / f"{e}.py" for e in EXERCISES},
                   "stubs": {e: ROOT / "exercises" / f"{e}.py" for e in EXERCISES}}
    for mutant in first_mutant_of_each_exercise():
        path = workdir / "sources" / mutant.id / f"{mutant.exercise}.py"
        path.parent.mkdir(parents=True)
        path.write_text(catalogue.mutant_source(mutant), encoding="utf-8")
        submissions[mutant.id] = {mutant.exercise: path}
    return compare(submissions, zips, workdir)


def test_there_is_one_zip_per_exercise_with_its_test_file_and_support_files(zips):
    assert set(zips) == {*EXERCISES, "ex06_lenet5"}
    for exercise, path in zips.items():
        names = set(zipfile.ZipFile(path).namelist())
        grader = "files/convkit_otter/grader"
        assert {"run_autograder", "setup.sh", "otter_config.json", "environment.yml", f"tests/{exercise}.py",
                "files/convkit_otter/__init__.py", "files/exercises/checks.py",
                f"{grader}/autograder/hidden/conftest.py", f"{grader}/autograder/hidden/test_{exercise}.py",
                f"{grader}/solutions/{exercise}.py"} <= names, exercise
        assert not any(n.startswith("files/autograder/") for n in names), "Otter's own folder is named autograder"
        assert f"files/exercises/{exercise}.py" not in names, "the submission takes the exercise module's place"
        assert not [n for n in names if n.startswith("tests/") and n != f"tests/{exercise}.py"]
        assert not [n for n in names if re.fullmatch(r"files/[^/]+\.py", n)], "Otter grades the only top-level .py"


def test_hidden_results_stay_hidden_until_published_and_requirements_are_pinned(zips):
    for exercise, path in zips.items():
        archive = zipfile.ZipFile(path)
        config = json.loads(archive.read("otter_config.json"))
        assert config["show_hidden"] is True and "threshold" not in config
        environment = archive.read("environment.yml").decode()
        assert f"numpy=={metadata.version('numpy')}" in environment
        assert f"pytest=={metadata.version('pytest')}" in environment
        assert (f"tensorflow=={metadata.version('tensorflow')}" in environment) == (exercise == "ex06_lenet5")


def test_each_hidden_test_is_one_case_worth_its_marker_points(zips):
    declared = inprocess.declared_points()
    for exercise in EXERCISES:
        source = zipfile.ZipFile(zips[exercise]).read(f"tests/{exercise}.py").decode()
        cases = re.findall(r"@test_case\(name='(hidden|public): ([^']+)', points=([\d.]+), hidden=(\w+)\)", source)
        hidden = [(test_id, float(points)) for kind, test_id, points, flag in cases if kind == "hidden"]
        assert all(flag == str(kind == "hidden") for kind, _, _, flag in cases)
        assert all(float(points) == 0 for kind, _, points, _ in cases if kind == "public")
        assert {test_id.partition("[")[0] for test_id, _ in hidden} == {n for e, n in declared if e == exercise}
        assert all(points == declared[(exercise, test_id.partition("[")[0])] for test_id, points in hidden)
        assert float(re.search(r"^POSSIBLE = (.+)$", source, re.M).group(1)) == sum(p for _, p in hidden)


def test_otter_gives_the_reference_solutions_every_point_and_the_stubs_none(default_table):
    assert_agreement({name: default_table[name] for name in ("reference", "stubs")})
    assert all(got[0] == got[1] > 0 for got, _ in default_table["reference"].values())
    assert all(got[0] == 0 for got, _ in default_table["stubs"].values())


def test_otter_agrees_with_the_hidden_suite_on_a_mutant_of_each_exercise(default_table):
    mutants = {m.id: default_table[m.id] for m in first_mutant_of_each_exercise()}
    assert_agreement(mutants)
    assert all(got[0] < got[1] for row in mutants.values() for got, _ in row.values())


def test_a_submission_that_patches_otter_gets_full_marks_from_otter_alone(zips, tmp_path):
    stub = (ROOT / "exercises" / "ex01_convolution.py").read_text(encoding="utf-8")
    patch = ("\nfrom otter.test_files.abstract_test import TestCaseResult\n"
             "from otter.test_files.exception_test import ExceptionTestFile\n"
             "ExceptionTestFile.run = lambda self, env: setattr(\n"
             "    self, 'test_case_results', [TestCaseResult(c, 'ok', True) for c in self.test_cases])\n")
    module = tmp_path / "ex01_convolution.py"
    module.write_text(stub + patch, encoding="utf-8")
    scores = otter.otter_scores(module, "ex01_convolution", zips["ex01_convolution"], timeout_s=300)
    assert scores["earned"] == scores["possible"] > 0  # Why Otter's score is advisory only.
    parent = package_of({"ex01_convolution": module}, tmp_path / "oracle")
    assert inprocess.grade(inprocess.CANDIDATE, parent, parent)["ex01_convolution"][0] == 0


def test_results_json_keeps_hidden_cases_after_published_and_shows_the_checks_message(zips, tmp_path):
    mutant = first_mutant_of_each_exercise()[0]
    module = tmp_path / f"{mutant.exercise}.py"
    module.write_text(catalogue.mutant_source(mutant), encoding="utf-8")
    done = subprocess.run(otter.otter_run_command(module, zips[mutant.exercise], tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    tests = {t["name"]: t for t in json.loads((tmp_path / "results.json").read_text())["tests"]}
    assert tests["Public Tests"]["visibility"] == "visible"
    assert tests[mutant.exercise]["visibility"] == "after_published"
    assert "got vs expected:" in tests[mutant.exercise]["output"] and "hint:" in tests[mutant.exercise]["output"]


def test_parse_results_reads_the_exercise_score_and_a_crash_as_zero(zips, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"tests": [{"name": "Public Tests", "output": ""},
                                             {"name": "ex02_padding", "score": 7.0, "max_score": 10.0}]}))
    assert otter.parse_results(results, "ex02_padding") == {"earned": 7.0, "possible": 10.0}
    results.write_text(json.dumps({"tests": [{"name": "Autograder Failed", "status": "failed"}], "score": 0}))
    assert otter.parse_results(results, "ex04_pooling", zips["ex04_pooling"]) == {"earned": 0.0, "possible": 10.0}
    with pytest.raises(otter.OtterRunError, match="no score for ex04_pooling"):
        otter.parse_results(results, "ex04_pooling")


def test_a_message_from_the_submission_reaches_otter_bounded_and_printable():
    from autograder.otter import kernel as otter_kernel

    class Unprintable(Exception):
        def __str__(self):
            raise ValueError("no message")

    for error, expected in [(ValueError("short"), "short"), (Unprintable(), "Unprintable: (a message that cannot"),
                            (ValueError("x" * 5000), "ValueError: xxx")]:
        with pytest.raises(Exception) as raised:
            otter_kernel._verdict(({"test_a": error}, ""), "test_a")
        assert str(raised.value).startswith(expected) and len(str(raised.value)) <= otter_kernel.MESSAGE_CHARS + 20
    with pytest.raises(otter_kernel.NoVerdict, match="could not run test_b: the file failed"):
        otter_kernel._verdict(({}, "the file failed"), "test_b")


def test_an_unknown_exercise_is_refused():
    with pytest.raises(ValueError, match="exercises must be among"):
        otter.build_all(Path("unused"), ["ex07_transformers"])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "bundle"
    release.write_release(out)
    return out


def otter_check(bundle: Path, exercise: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "otter", "check", f"exercises/{exercise}.py", "-t",
                           f"{otter.PUBLIC_TESTS_DIR}/{exercise}"], cwd=bundle, capture_output=True, text=True,
                          timeout=300)


def test_the_bundle_has_a_public_otter_test_per_exercise_with_public_tests_and_nothing_hidden(bundle):
    files = {p.relative_to(bundle).as_posix() for p in (bundle / otter.PUBLIC_TESTS_DIR).rglob("*.py")}
    with_public_tests = [e for e in otter.EXERCISE_NAMES if (ROOT / "exercises" / f"test_{e}.py").is_file()]
    assert set(EXERCISES) <= set(with_public_tests)
    assert files == {f"{otter.PUBLIC_TESTS_DIR}/{e}/{e}.py" for e in with_public_tests}
    text = "\n".join((bundle / f).read_text() for f in files)
    assert "hidden=True" not in text and "hidden_case" not in text
    assert (bundle / otter.RUNTIME_PACKAGE / "__init__.py").is_file()
    assert not (bundle / otter.RUNTIME_PACKAGE / "grader").exists()


def test_otter_check_fails_on_a_stub_with_the_public_messages_and_passes_on_a_solution(bundle):
    failing = otter_check(bundle, "ex01_convolution")
    assert "All tests passed!" not in failing.stdout
    assert "correlate2d is not implemented yet" in failing.stdout, failing.stdout[-2000:] + failing.stderr[-2000:]
    assert "public: test_the_edge_kernel_lights_up_a_left_edge" in failing.stdout
    shutil.copyfile(ROOT / "solutions" / "ex01_convolution.py", bundle / "exercises" / "ex01_convolution.py")
    try:
        passing = otter_check(bundle, "ex01_convolution")
    finally:
        shutil.copyfile(ROOT / "exercises" / "ex01_convolution.py", bundle / "exercises" / "ex01_convolution.py")
    assert passing.stdout.strip().endswith("All tests passed!"), passing.stdout[-2000:] + passing.stderr[-2000:]


@pytest.mark.slow
def test_otter_agrees_with_the_hidden_suite_on_every_mutant(zips, tmp_path):
    submissions = {}
    for mutant in catalogue.MUTANTS:
        path = tmp_path / "sources" / mutant.id / f"{mutant.exercise}.py"
        path.parent.mkdir(parents=True)
        path.write_text(catalogue.mutant_source(mutant), encoding="utf-8")
        submissions[mutant.id] = {mutant.exercise: path}
    assert_agreement(compare(submissions, zips, tmp_path))


@pytest.mark.slow
def test_otter_agrees_with_the_hidden_suite_on_the_honest_sample_students(zips, tmp_path):
    submissions = {student: {e: SAMPLE_CLASS / student / f"{e}.py" for e in EXERCISES
                             if (SAMPLE_CLASS / student / f"{e}.py").is_file()} for student in HONEST_STUDENTS}
    assert_agreement(compare(submissions, zips, tmp_path))


@pytest.mark.slow
def test_otter_agrees_with_the_hidden_suite_on_the_keras_exercise(zips, tmp_path):
    points = {case.test_id: case.points for case in otter.collect(["ex06_lenet5"])["ex06_lenet5"]}
    for package in ("solutions", "exercises"):
        got = otter.otter_scores(ROOT / package / "ex06_lenet5.py", "ex06_lenet5", zips["ex06_lenet5"], timeout_s=600)
        report = tmp_path / f"junit-{package}.xml"
        hidden = inprocess.HIDDEN
        done = subprocess.run([sys.executable, "-m", "pytest", str(hidden / "test_ex06_lenet5.py"), "-q", "-p",
                               "no:cacheprovider", "-p", "no:randomly", "-c", str(hidden / "pytest.ini"), "--rootdir",
                               str(hidden), f"--convkit-inprocess={package}", f"--junitxml={report}"],
                              cwd=ROOT, env=dict(os.environ, CONVKIT_DATA_DIR=DATA_DIR), capture_output=True,
                              text=True, timeout=600)
        assert done.returncode in (0, 1), done.stdout[-2000:]
        cases = list(ElementTree.parse(report).getroot().iter("testcase"))
        earned = sum(points[case.get("name")] for case in cases
                     if not any(child.tag in ("failure", "error", "skipped") for child in case))
        assert got == {"earned": earned, "possible": sum(points.values())}, package


TRAIN_ONE_EPOCH = """
import sys
import numpy as np
from exercises import data
from solutions.ex06_lenet5 import build_lenet5
images, labels = data.load_mnist("train")
model = build_lenet5()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(data.add_channel(data.to_float(images)), labels.astype(np.int64), epochs=1, batch_size=128, verbose=0)
model.save_weights(sys.argv[1])
"""


@pytest.mark.slow
def test_otter_agrees_with_convkit_grade_on_a_submitted_lenet_with_weights(zips, tmp_path):
    student = tmp_path / "class" / "pat_one_epoch"
    student.mkdir(parents=True)
    shutil.copyfile(ROOT / "solutions" / "ex06_lenet5.py", student / "ex06_lenet5.py")
    env = dict(os.environ, CONVKIT_DATA_DIR=DATA_DIR)
    trained = subprocess.run([sys.executable, "-c", TRAIN_ONE_EPOCH, str(student / "lenet5.weights.h5")], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=900)
    assert trained.returncode == 0, trained.stderr[-2000:]
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out",
                             str(tmp_path / "grades")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert graded.returncode == 0, graded.stderr[-2000:]
    row = next(csv.DictReader((tmp_path / "grades" / "grades.csv").open()))
    result = json.loads((tmp_path / "grades" / "pat_one_epoch" / "results.json").read_text())
    possible = sum(t["max_score"] for t in result["tests"] if t["name"].startswith("ex06_lenet5")
                   and "not run" not in t.get("output", ""))
    got = otter.otter_scores(student / "ex06_lenet5.py", "ex06_lenet5", zips["ex06_lenet5"],
                             extra_files=(student / "lenet5.weights.h5",), timeout_s=900)
    print(f"\nconvkit grade {row['ex06_lenet5']}/{possible:g}, otter {got}")
    assert got["earned"] >= 5, "the trained reference model keeps every architecture point"
    assert got == {"earned": float(row["ex06_lenet5"]), "possible": possible}


@pytest.mark.slow
def test_otter_scores_kills_a_submission_that_never_returns(zips, tmp_path):
    module = tmp_path / "ex01_convolution.py"
    module.write_text("def correlate2d(image, kernel):\n    while True:\n        pass\n", encoding="utf-8")
    with pytest.raises(otter.OtterRunError, match="did not finish within 20 s"):
        otter.otter_scores(module, "ex01_convolution", zips["ex01_convolution"], timeout_s=20)
