"""`convkit grade` on the bundled sample class and on classes of misbehaving students (bad submissions)."""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from autograder import course
from autograder.stubs import EXERCISE_NAMES, ROOT
from exercises import mistakes

SAMPLE = ROOT / "examples" / "sample_class"
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
GRADE = [sys.executable, "-m", "autograder", "grade"]


def grade(class_dir, out, *extra, timeout=900):
    run = subprocess.run([*GRADE, str(class_dir), "--out", str(out), "--lenet", "skip", *extra],
                         capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def rows(out) -> dict[str, dict[str, str]]:
    with open(Path(out) / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def student_text(out: Path) -> str:
    """Everything a student is shown: every results.json and feedback.md."""
    return "\n".join(p.read_text() for p in out.rglob("*") if p.name in ("results.json", "feedback.md"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "out"
    started = time.monotonic()
    run = grade(SAMPLE, out, "--jobs", "2", "--timeout", "3")
    return out, run, time.monotonic() - started


def test_every_student_of_the_sample_class_gets_exactly_one_row(sample):
    out, _, _ = sample
    expected = sorted(p.name.removesuffix(".zip") for p in SAMPLE.iterdir())
    with open(out / "grades.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["student", *EXERCISE_NAMES, "total", "possible", "status"]
    assert [r[0] for r in table[1:]] == expected


def test_the_reference_student_gets_full_marks_and_the_stubs_none(sample):
    out, _, _ = sample
    table = rows(out)
    for name in course.names("numpy"):
        assert table["ada_reference"][name] == "10"
        assert table["cara_stubs"][name] == "0"
    assert table["cara_stubs"]["total"] == "0"


@pytest.mark.parametrize("student, exercise, low, high", [
    ("ben_loops", "ex01_convolution", 10, 10),
    ("dan_offbyone", "ex01_convolution", 1, 9),
    ("eve_noflip", "ex01_convolution", 1, 9),
    ("finn_pads_channels", "ex02_padding", 1, 9),
    ("gia_khw_stack", "ex03_feature_maps", 1, 9),
    ("hal_pool_stride", "ex04_pooling", 0, 9),
    ("ivy_bias_miscount", "ex05_parameters", 1, 9),
    ("jay_infinite_loop", "ex01_convolution", 1, 9),
    ("kim_segfault", "ex04_pooling", 1, 9),
    ("leo_tamperer", "ex01_convolution", 0, 0),
    ("nia_otter_patcher", "ex01_convolution", 0, 0),
], ids=lambda v: v if isinstance(v, str) else None)
def test_mistakes_and_misbehaviour_cost_points_on_their_own_exercise(sample, student, exercise, low, high):
    row = rows(sample[0])[student]
    assert low <= float(row[exercise]) <= high
    assert row["status"] == "ok"


def test_the_malicious_zip_is_refused_and_nothing_is_extracted_outside(sample):
    row = rows(sample[0])["max_zipslip"]
    assert row["status"] == "invalid submission" and row["total"] == "0"
    assert not Path("/tmp/pwned.py").exists()
    feedback = (sample[0] / "max_zipslip" / "feedback.md").read_text()
    assert "points outside the submission" in feedback


@pytest.mark.parametrize("student, message", [
    ("jay_infinite_loop", "timed out after 3 s"),
    ("kim_segfault", "crashed (SIGSEGV)"),
    ("leo_tamperer", "expected numpy.ndarray, got ex01_convolution.AlwaysEqual"),
    ("dan_offbyone", "hint: the output has H - kh + 1 rows"),
    ("ivy_bias_miscount", f"hint: {mistakes.BIAS_PER_WEIGHT}"),
    ("cara_stubs", "is not implemented yet"),
    ("ben_loops", "not submitted: ex02_padding.py"),
], ids=lambda v: v if "_" in v else None)
def test_feedback_says_why_points_were_lost(sample, student, message):
    assert message in (sample[0] / student / "feedback.md").read_text()


def test_a_wrong_array_answer_is_pictured_beside_the_expected_one_in_the_feedback(sample):
    folder = sample[0] / "eve_noflip"
    pictures = re.findall(r"!\[[^]]*\]\(([^)]+\.png)\)", (folder / "feedback.md").read_text())
    assert pictures and all((folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pictures)
    assert all(name.startswith("ex01_convolution-") for name in pictures)
    assert not list((sample[0] / "cara_stubs").glob("*.png")), "a function that raised has no answer to draw"


def test_results_json_follows_the_gradescope_format_and_records_isolation(sample):
    for path in sample[0].glob("*/results.json"):
        data = json.loads(path.read_text())
        jsonschema.validate(data, SCHEMA)
        assert {"process", "rlimits", "wall-timeout"} <= set(data["extra_data"]["convkit"]["isolation"])


def test_no_hidden_test_line_appears_in_student_visible_output(sample):
    text = student_text(sample[0])
    for path in (ROOT / "autograder" / "hidden").glob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) > 25 and not line.startswith(("#", '"""', "def test_", "@pytest")):
                assert line not in text, f"{path.name} leaked: {line}"


def test_the_tamperer_forges_nothing_and_the_class_report_is_written(sample):
    out = sample[0]
    assert not (SAMPLE / "leo_tamperer" / "results.json").exists()
    assert json.loads((out / "leo_tamperer" / "results.json").read_text())["score"] == 0
    report = (out / "report.html").read_text()
    assert "<svg" in report and "ada_reference" in report and "Pass rate per test" in report


def test_the_summary_table_is_printed(sample):
    assert "convkit grades" in sample[1].stdout and "ada_reference" in sample[1].stdout


def test_the_console_says_which_tests_did_not_run_and_why(sample):
    out, run, _ = sample
    not_run = [(path.parent.name, test) for path in out.glob("*/results.json")
               for test in json.loads(path.read_text())["tests"] if "status" not in test]
    assert not_run, "--lenet skip leaves the accuracy tests not run"
    students = len({student for student, _ in not_run})
    assert (f"note: {len(not_run)} test(s) of {students} student(s) count in no total, not run (--lenet skip)"
            in " ".join(run.stderr.split()))
    feedback = (out / "ada_reference" / "feedback.md").read_text()
    assert re.search(r"NOT RUN \*\*accuracy.*\*\* \(worth \d+; counts in no total\)", feedback), feedback
    not_run_row = r"accuracy[^<]*</td><td data-sort=\"-1\">-</td><td data-sort=\"-1\">not run</td>"
    assert re.search(not_run_row, (out / "report.html").read_text())


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Five students: correct, stubs, a mistake, a crash and an endless loop."""
    class_dir = tmp_path_factory.mktemp("small") / "class"
    for name in ("ada_reference", "cara_stubs", "dan_offbyone", "kim_segfault", "jay_infinite_loop"):
        shutil.copytree(SAMPLE / name, class_dir / name)
    return class_dir


@pytest.fixture(scope="module")
def uninterrupted(small_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("first") / "out"
    grade(small_class, out, "--timeout", "1")
    return out


def test_grading_the_same_class_twice_gives_the_same_grades(small_class, uninterrupted, tmp_path):
    grade(small_class, tmp_path / "again", "--timeout", "1", "--jobs", "2")
    assert (tmp_path / "again" / "grades.csv").read_text() == (uninterrupted / "grades.csv").read_text()


def test_a_batch_killed_mid_way_and_resumed_ends_with_the_same_grades(small_class, uninterrupted, tmp_path):
    out = tmp_path / "resumed"
    batch = subprocess.Popen([*GRADE, str(small_class), "--out", str(out), "--lenet", "skip", "--timeout", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(rows(out) if (out / "grades.csv").exists() else {}) < 2:
        time.sleep(0.1)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    partial = rows(out)
    assert 2 <= len(partial) < 5, "the batch must be killed mid-way"
    grade(small_class, out, "--timeout", "1", "--resume")
    assert (out / "grades.csv").read_text() == (uninterrupted / "grades.csv").read_text()


def test_a_relative_out_folder_is_taken_from_the_working_directory(small_class, uninterrupted, tmp_path):
    run = subprocess.run([*GRADE, str(small_class), "--out", "relative-out", "--lenet", "skip", "--timeout", "1"],
                         capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "relative-out" / "grades.csv").read_text() == (uninterrupted / "grades.csv").read_text()


def test_the_exit_status_is_1_when_a_submission_could_not_be_graded(monkeypatch, capsys):
    from autograder import cli
    from autograder.grading import batch
    from autograder.results import StudentResult

    def grade_class(class_dir, options, progress=None):
        return [StudentResult("ok_student"), batch._grader_error("broken_student", "grading process exited with 1")]

    monkeypatch.setattr(batch, "grade_class", grade_class)
    monkeypatch.setattr("autograder.grading.report.write_class_report", lambda path, results: None)
    assert cli.main(["grade", "--out", "unused", "--lenet", "skip"]) == 1
    assert "1 submission(s) could not be graded (broken_student)" in " ".join(capsys.readouterr().err.split())


def test_a_class_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    run = subprocess.run([*GRADE, str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert re.search(r"class folder .*nowhere does not exist", run.stderr)
