"""The CI workflows the kit ships are valid YAML with the steps the READMEs describe."""

import subprocess
import sys

import pytest

yaml = pytest.importorskip("yaml")

from autograder.release import TEMPLATES  # noqa: E402
from autograder.stubs import ROOT  # noqa: E402

STUDENT_WORKFLOW = TEMPLATES / ".github" / "workflows" / "public-tests.yml"
INSTRUCTOR_WORKFLOW = ROOT / "docs" / "workflows" / "grade-hidden.yml"


def steps(path):
    workflow = yaml.safe_load(path.read_text())
    assert set(workflow) >= {"name", "jobs"}
    # PyYAML reads the bare key `on` as True.
    assert workflow.get("on", workflow.get(True)), "a workflow needs triggers"
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    return job["steps"]


def runs(path):
    return "\n".join(step.get("run", "") for step in steps(path))


def test_the_student_workflow_runs_the_public_tests_with_junit_and_a_score_table():
    text = runs(STUDENT_WORKFLOW)
    assert "pytest exercises --junitxml=public-tests.xml" in text
    assert "python -m exercises.score public-tests.xml >> \"$GITHUB_STEP_SUMMARY\"" in text
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps(STUDENT_WORKFLOW))


def test_the_score_table_script_reads_a_real_junit_report(tmp_path):
    report = tmp_path / "r.xml"
    run = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "exercises" / "test_ex05_parameters.py"), "-q",
                          "-p", "no:cacheprovider", f"--junitxml={report}"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1, "the public tests fail on the stubs"
    from exercises.score import exercise_counts, score_table
    passed, total = exercise_counts(str(report))
    assert total["ex05_parameters"] > 5 and passed["ex05_parameters"] == 0
    assert f"| ex05_parameters | 0 / {total['ex05_parameters']} |" in score_table(str(report))


def test_the_instructor_workflow_installs_convkit_privately_and_grades_with_the_sandbox():
    text = runs(INSTRUCTOR_WORKFLOW)
    assert "apt-get install -y -qq bubblewrap" in text
    assert "python -m pip install ./course" in text
    assert "convkit grade class --out grading" in text
    assert "solutions" not in text and "autograder/hidden" not in text


def test_the_hidden_suite_runs_only_in_a_workflow_of_the_instructors_repository():
    """A workflow a student can edit must never hold the hidden suite: this one is started only by a
    schedule or by hand in the course repository, reads the student repositories read-only, and writes
    nothing a student can see (no job summary, no push, no comment)."""
    workflow = yaml.safe_load(INSTRUCTOR_WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) <= {"schedule", "workflow_dispatch"}, triggers
    assert workflow["permissions"] == {"contents": "read"}
    text = INSTRUCTOR_WORKFLOW.read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for leak in ("GITHUB_STEP_SUMMARY", "git push", "gh pr comment", "gh issue", "CONVKIT_TOKEN"):
        assert leak not in body, leak
    checkouts = [step for step in steps(INSTRUCTOR_WORKFLOW) if str(step.get("uses", "")).startswith(
        "actions/checkout")]
    assert checkouts and all(step["with"].get("persist-credentials") is False for step in checkouts)
    assert "STUDENT_READ_TOKEN" in runs(INSTRUCTOR_WORKFLOW)
