"""LMS gradebooks from a graded folder: Canvas's importer rules, Moodle's key column, the roster, unmatched names."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from autograder.grading import export
from autograder.results import PASSED, StudentResult, TestResult, gradescope_results, write_grades_csv


@pytest.fixture
def graded(tmp_path):
    """A graded folder of three students: full marks, half of ex01, nothing."""
    out = tmp_path / "out"
    results = []
    for name, earned in [("ada", 2.0), ("ben", 1.0), ("zed_unknown", 0.0)]:
        tests = [TestResult("ex01_convolution", f"t{i}", 1.0, float(i < earned), PASSED if i < earned else "failed")
                 for i in range(2)]
        tests.append(TestResult("ex04_pooling", "max", 3.0, 3.0 if earned == 2 else 0.0,
                                PASSED if earned == 2 else "failed"))
        result = StudentResult(name, tests)
        (out / name).mkdir(parents=True)
        (out / name / "results.json").write_text(json.dumps(gradescope_results(result)))
        results.append(result)
    write_grades_csv(out / "grades.csv", results)
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Email\n"
                      "    Points Possible,,,,,\n"
                      "Ada Lovelace,101,A001,ada,Sec 1,ada@uni.example\n"
                      "Ben Loops,102,A002,BEN,Sec 2,ben.l@uni.example\n")
    return out, roster


def read(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_the_canvas_file_follows_the_importers_rules(graded):
    out, roster = graded
    book = export.export("canvas", out, roster=roster, assignment="Homework 3 (1234)")
    rows = read(book.path)
    header = rows[0]
    # gradebook_importer.rb: "Student" in the first column, "ID" second, then SIS ids and a "Section" column.
    assert "Student" in header[0] and header[1] == "ID" and header[2:4] == ["SIS User ID", "SIS Login ID"]
    assert "Section" in header[4] and header[5] == "Homework 3 (1234)" and len(header) == 6
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    assert rows[2:] == [["Ada Lovelace", "101", "A001", "ada", "Sec 1", "5"],
                        ["Ben Loops", "102", "A002", "BEN", "Sec 2", "1"],
                        ["zed_unknown", "", "", "zed_unknown", "", "0"]]
    assert book.unmatched == ["zed_unknown"]
    assert (out / export.UNMATCHED).read_text() == "zed_unknown\n"


def test_canvas_can_take_one_column_per_exercise(graded):
    out, _ = graded
    rows = read(export.export("canvas", out, per_exercise=True).path)
    assert rows[0][5] == "convkit ex01_convolution" and len(rows[0]) == 5 + 6
    assert rows[1][5:7] == ["2", "0"] and rows[1][8] == "3"


def test_the_moodle_file_has_one_row_per_student_keyed_by_the_mapped_column(graded):
    out, roster = graded
    rows = read(export.export("moodle", out, roster=roster, key="email").path)
    assert rows[0] == ["email", "ex01_convolution", "ex02_padding", "ex03_feature_maps", "ex04_pooling",
                       "ex05_parameters", "ex06_lenet5", "total"]
    assert [row[0] for row in rows[1:]] == ["ada@uni.example", "ben.l@uni.example", "zed_unknown"]
    assert [row[-1] for row in rows[1:]] == ["5", "1", "0"]


def test_the_cli_writes_the_gradebook_and_lists_the_unmatched(graded):
    out, roster = graded
    run = subprocess.run([sys.executable, "-m", "autograder", "export", "gradescope-csv", str(out),
                          "--roster", str(roster)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "1 student(s) not in the roster" in run.stdout and "zed_unknown" in run.stdout
    rows = read(out / "gradescope-csv-gradebook.csv")
    assert rows[0][:3] == ["Name", "SID", "Email"] and rows[0][-1] == "Total Score" and len(rows) == 4


def test_bad_arguments_are_clear_errors(graded, tmp_path):
    out, _ = graded
    with pytest.raises(ValueError, match="kind"):
        export.export("blackboard", out)
    with pytest.raises(ValueError, match="grades.csv"):
        export.export("canvas", tmp_path / "nowhere")
