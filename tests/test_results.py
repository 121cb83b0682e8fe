"""The result model: points per exercise, grades.csv, results.json round trip, not-run tests."""

import csv
import json

import pytest

from autograder.results import (
    CSV_HEADER,
    FAILED,
    NOT_RUN,
    PASSED,
    VISIBILITIES,
    StudentResult,
    TestResult,
    gradescope_results,
    load_student_result,
    write_grades_csv,
)


def sample():
    return StudentResult(student="ada", tests=[
        TestResult("ex01_convolution", "a", 4, 4, PASSED),
        TestResult("ex01_convolution", "b", 6, 0, "failed", "checked: x", "wrong answer"),
        TestResult("ex06_lenet5", "accuracy", 10, 0, NOT_RUN, "not run (--lenet skip)"),
    ])


def test_points_per_exercise_leave_out_tests_that_did_not_run():
    points = sample().exercise_points()
    assert points["ex01_convolution"] == (4, 10)
    assert points["ex06_lenet5"] == (0, 0)
    assert sample().total() == (4, 10)


def test_grades_csv_has_the_contract_header_and_sorted_rows(tmp_path):
    other = StudentResult(student="aaron", status="invalid submission")
    write_grades_csv(tmp_path / "grades.csv", [sample(), other])
    rows = list(csv.reader(open(tmp_path / "grades.csv")))
    assert rows[0] == CSV_HEADER
    assert rows[0] == ["student", "ex01_convolution", "ex02_padding", "ex03_feature_maps", "ex04_pooling",
                       "ex05_parameters", "ex06_lenet5", "total", "possible", "status"]
    assert [r[0] for r in rows[1:]] == ["aaron", "ada"]
    assert rows[2] == ["ada", "4", "0", "0", "0", "0", "0", "4", "10", "ok"]


def test_results_json_is_gradescope_shaped_and_round_trips(tmp_path):
    data = gradescope_results(sample())
    assert data["score"] == 4
    assert {"name", "score", "max_score", "output", "visibility"} <= set(data["tests"][0])
    assert "status" not in data["tests"][2], "a test that did not run is neither passed nor failed"
    assert sum(test["max_score"] for test in data["tests"]) == sample().total()[1], "the tests add up to possible"
    assert data["tests"][2]["output"] == "not run (--lenet skip) (worth 10 points when run)"
    (tmp_path / "results.json").write_text(json.dumps(data))
    assert load_student_result(tmp_path / "results.json") == sample()


def test_results_json_outputs_are_plain_text_and_visible_by_default():
    data = gradescope_results(sample())
    assert data["output_format"] == "text" and data["visibility"] == "visible"
    assert {t["output_format"] for t in data["tests"]} == {"text"}
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    assert data["output"].startswith("convkit: 4 / 10 points")


@pytest.mark.parametrize("visibility", [v for v in VISIBILITIES if v != "visible"])
def test_a_visibility_applies_to_every_test_and_keeps_the_points_out_of_the_visible_output(visibility):
    data = gradescope_results(sample(), visibility=visibility)
    assert {t["visibility"] for t in data["tests"]} == {visibility}
    assert data["visibility"] == "visible" and data["score"] == 4
    assert "points" not in data["output"] and "status ok" in data["output"]


def test_an_unknown_visibility_is_refused():
    with pytest.raises(ValueError, match="visibility must be one of visible, after_due_date"):
        gradescope_results(sample(), visibility="after_release")


def test_a_missing_or_foreign_results_json_reads_as_none(tmp_path):
    assert load_student_result(tmp_path / "nothing.json") is None
    (tmp_path / "forged.json").write_text('{"score": 100}')
    assert load_student_result(tmp_path / "forged.json") is None


def test_the_record_holds_every_field_as_dataclasses_asdict_would_and_owns_its_lists():
    from dataclasses import asdict

    test = TestResult("ex01_convolution", "t", 1.0, 0.5, FAILED, "out", "timeout", "f.png")
    result = StudentResult("ada", tests=[test],
                           warnings=["w"], isolation=["process"], otter={"ex01_convolution": {"earned": 1.0}},
                           settings={"seed": 7, "isolation": ["process"]})
    record = result.to_json()
    assert record == asdict(result)
    record["warnings"].append("later")
    record["tests"][0]["score"] = 0.0
    assert result.warnings == ["w"] and result.tests[0].score == 0.5
