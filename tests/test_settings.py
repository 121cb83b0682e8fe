"""The settings of a grade are recorded, printed and never mixed by --resume; user paths are made absolute."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import course
from autograder.grading import batch
from autograder.results import StudentResult, load_student_result
from autograder.stubs import ROOT

REFERENCE = ROOT / "examples" / "sample_class" / "ada_reference"


@pytest.fixture
def small_class(tmp_path: Path) -> Path:
    """Two students who hand in the reference ex05 only (the fastest exercise to grade)."""
    class_dir = tmp_path / "class"
    for student in ("amy", "bob"):
        (class_dir / student).mkdir(parents=True)
        shutil.copy(REFERENCE / "ex05_parameters.py", class_dir / student)
    return class_dir


def _grade(class_dir: Path, out: Path, **options) -> dict[str, StudentResult]:
    results = batch.grade_class(class_dir, batch.BatchOptions(out_dir=out, lenet="skip", **options))
    return {result.student: result for result in results}


def test_every_results_json_records_the_settings_it_was_graded_with(small_class, tmp_path):
    _grade(small_class, tmp_path / "out", seed=7, timeout_s=4)
    stored = json.loads((tmp_path / "out" / "amy" / course.RESULTS_JSON).read_text())
    settings = stored["extra_data"]["convkit"]["settings"]
    assert {k: settings[k] for k in ("seed", "timeout_s", "lenet", "min_isolation")} == \
        {"seed": 7, "timeout_s": 4.0, "lenet": "skip", "min_isolation": "process"}
    assert settings["version"] and "process" in settings["isolation"]


def test_resume_grades_again_a_student_graded_with_another_seed_and_keeps_the_others(small_class, tmp_path):
    out = tmp_path / "out"
    _grade(small_class, out, seed=1)
    amy = out / "amy" / course.RESULTS_JSON
    stamp = amy.stat().st_mtime_ns
    _grade(small_class, out, seed=1, resume=True)
    assert amy.stat().st_mtime_ns == stamp, "a student graded with the same settings was graded again"
    _grade(small_class, out, seed=2, resume=True)
    for student in ("amy", "bob"):
        assert load_student_result(out / student / course.RESULTS_JSON).settings["seed"] == 2


def test_a_results_json_written_before_settings_were_recorded_still_loads(tmp_path):
    old = {"student": "amy", "tests": [{"exercise": "ex05_parameters", "name": "t", "max_score": 1.0}],
           "status": "ok", "files": [], "warnings": [], "isolation": [], "seconds": 1.0, "otter": {},
           "a_key_from_another_version": 1}
    path = tmp_path / course.RESULTS_JSON
    path.write_text(json.dumps({"extra_data": {"convkit": old}}))
    loaded = load_student_result(path)
    assert loaded is not None and loaded.settings == {} and loaded.tests[0].max_score == 1.0
    assert course.Settings().differences(loaded.settings) == []
    assert course.Settings(seed=3).differences(loaded.settings) == [f"seed {course.DEFAULTS.seed} (now 3)"]


def test_a_relative_data_folder_is_made_absolute_before_any_process_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    environ = {"CONVKIT_DATA_DIR": "../datasets"}
    batch.absolute_path_variables(environ)
    assert environ["CONVKIT_DATA_DIR"] == str(tmp_path.parent / "datasets")


@pytest.mark.parametrize("bad", [dict(seed=-1), dict(timeout_s=0), dict(lenet="always"), dict(min_isolation="vm")])
def test_bad_settings_are_refused_with_the_rule(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        course.Settings(**bad)


def test_the_console_header_prints_the_settings_seed_included(small_class, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(small_class), "--out",
                           str(tmp_path / "out"), "--seed", "99", "--lenet", "skip"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "settings: seed 99, timeout 10 s, lenet skip, min isolation process" in done.stderr
