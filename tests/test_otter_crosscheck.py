"""`convkit grade --otter`: Otter's advisory scores, from the sandbox, beside the authoritative ones."""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from autograder.otter import crosscheck as otter_crosscheck
from autograder.otter import export as otter
from autograder.results import PASSED, StudentResult, TestResult
from autograder.sandbox import isolation
from autograder.stubs import ROOT

SAMPLE = ROOT / "examples" / "sample_class"
EXERCISE = "ex01_convolution"

PROBE = '''{body}

from pathlib import Path

try:
    Path({marker!r}).write_text("written by the submission")
except OSError:
    pass
'''


@pytest.fixture(scope="module")
def crosschecked(tmp_path_factory):
    """ex01 of the reference, the off-by-one student and the Otter patcher, graded with --otter."""
    root = tmp_path_factory.mktemp("crosscheck")
    marker = root / "written-by-otter-run.txt"
    for student in ("ada_reference", "dan_offbyone", "nia_otter_patcher"):
        (root / "class" / student).mkdir(parents=True)
        shutil.copy(SAMPLE / student / f"{EXERCISE}.py", root / "class" / student)
    reference = (ROOT / "solutions" / f"{EXERCISE}.py").read_text()
    (root / "class" / "pia_writes_outside").mkdir()
    (root / "class" / "pia_writes_outside" / f"{EXERCISE}.py").write_text(
        PROBE.format(marker=str(marker), body=reference))
    out = root / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / "class"), "--out", str(out),
                          "--otter", "--lenet", "skip", "--jobs", "2"], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "otter-crosscheck.csv", newline="") as handle:
        table = {row["student"]: row for row in csv.DictReader(handle)}
    with open(out / "grades.csv", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    return out, run, table, grades, marker


def test_honest_submissions_get_the_same_points_from_otter(crosschecked):
    _, _, table, grades, _ = crosschecked
    assert table["ada_reference"]["verdict"] == "agree"
    assert table["ada_reference"]["otter_points"] == table["ada_reference"]["convkit_points"] == "10"
    assert table["dan_offbyone"]["verdict"] == "agree"
    assert table["dan_offbyone"]["otter_points"] == grades["dan_offbyone"][EXERCISE]
    assert 0 < float(grades["dan_offbyone"][EXERCISE]) < 10


def test_a_submission_that_patches_otter_is_flagged_and_keeps_convkits_score(crosschecked):
    out, run, table, grades, _ = crosschecked
    row = table["nia_otter_patcher"]
    assert row["verdict"] == "DIFFERS"
    assert row["otter_points"] == "10" and row["convkit_points"] == "0"
    assert grades["nia_otter_patcher"][EXERCISE] == "0" and grades["nia_otter_patcher"]["total"] == "0"
    assert "DIFFERS: nia_otter_patcher ex01_convolution" in run.stderr
    stored = json.loads((out / "nia_otter_patcher" / "results.json").read_text())
    assert stored["score"] == 0
    assert stored["extra_data"]["convkit"]["otter"][EXERCISE] == {"earned": 10.0, "possible": 10.0}
    report = (out / "report.html").read_text()
    assert "Otter cross-check" in report and "nia_otter_patcher" in report.split("Otter cross-check")[1]


def test_otter_runs_isolated_from_the_graders_files(crosschecked):
    _, _, table, grades, marker = crosschecked
    layers = isolation.available_layers()
    if "uid" not in layers and "namespaces" not in layers:
        pytest.skip(f"only the layers {layers} here: the sandbox uid and namespaces need root and bubblewrap")
    # The submission is correct and both graders give it full marks, but its write to the grader's folder,
    # which neither the sandbox uid nor the namespaces let through, never lands.
    assert grades["pia_writes_outside"][EXERCISE] == "10"
    assert table["pia_writes_outside"]["verdict"] == "agree"
    assert not marker.exists()


def result_with(points: float, otter: dict) -> StudentResult:
    tests = [TestResult(EXERCISE, "t", 10.0, points, PASSED)]
    return StudentResult(student="s", tests=tests, otter={EXERCISE: otter})


@pytest.mark.parametrize("convkit, otter, verdict", [
    (10.0, {"earned": 10.0, "possible": 10.0}, "agree"),
    (4.0, {"earned": 10.0, "possible": 10.0}, "DIFFERS"),
    (10.0, {"earned": 10.0, "possible": 12.0}, "DIFFERS"),
    (0.0, {"error": "OtterRunError: otter run did not finish within 180 s"}, "no score"),
])
def test_compare_flags_every_difference_and_every_missing_score(convkit, otter, verdict):
    (row,) = otter_crosscheck.compare(result_with(convkit, otter))
    assert row["verdict"] == verdict
    assert row["convkit_points"] == convkit
    if verdict == "DIFFERS":
        assert "stands" in row["note"]
    if verdict == "no score":
        assert "did not finish" in row["note"]


def test_the_crosscheck_csv_lists_every_module_and_returns_the_flagged(tmp_path):
    results = [result_with(10.0, {"earned": 10.0, "possible": 10.0}), result_with(0.0, {"earned": 10.0,
                                                                                        "possible": 10.0})]
    results[1].student = "t"
    flagged = otter_crosscheck.write_csv(tmp_path / "x.csv", results)
    lines = (tmp_path / "x.csv").read_text().splitlines()
    assert lines[0].split(",") == otter_crosscheck.CSV_HEADER
    assert len(lines) == 3 and [row["student"] for row in flagged] == ["t"]


def test_otter_gets_no_score_when_it_runs_out_of_time(tmp_path):
    zips = {path.stem: path for path in otter.build_all(tmp_path / "zips", [EXERCISE], lenet="skip")}
    module = tmp_path / f"{EXERCISE}.py"
    module.write_text("import time\ntime.sleep(600)\n")
    verdicts = otter_crosscheck.cross_check(tmp_path, [module.name], zips, lenet="skip", timeout_s=20)
    assert "did not finish" in verdicts[EXERCISE]["error"]


def test_a_results_file_the_submission_links_elsewhere_is_not_read(tmp_path):
    if "namespaces" not in isolation.available_layers():
        pytest.skip("the submission finds Otter's output folder at /submission/out only under bubblewrap")
    zips = {path.stem: path for path in otter.build_all(tmp_path / "zips", [EXERCISE], lenet="skip")}
    module = tmp_path / f"{EXERCISE}.py"
    module.write_text((ROOT / "solutions" / f"{EXERCISE}.py").read_text()
                      + "\nimport os\nimport sys\n\n"
                      "os.symlink(os.path.realpath(sys.executable), '/submission/out/results.json')\n")
    verdicts = otter_crosscheck.cross_check(tmp_path, [module.name], zips, lenet="skip")
    assert "without a results.json" in verdicts[EXERCISE]["error"]


def test_resume_with_otter_cross_checks_students_graded_without_it(tmp_path):
    (tmp_path / "class" / "ada_reference").mkdir(parents=True)
    shutil.copy(SAMPLE / "ada_reference" / f"{EXERCISE}.py", tmp_path / "class" / "ada_reference")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out", str(out),
               "--lenet", "skip"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    grades_before = (out / "grades.csv").read_text()
    resumed = subprocess.run(command + ["--resume", "--otter"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    with open(out / "otter-crosscheck.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["student"], row["verdict"], row["otter_points"]) == ("ada_reference", "agree", "10")
    assert (out / "grades.csv").read_text() == grades_before
    stored = json.loads((out / "ada_reference" / "results.json").read_text())
    assert stored["extra_data"]["convkit"]["otter"][EXERCISE] == {"earned": 10.0, "possible": 10.0}
