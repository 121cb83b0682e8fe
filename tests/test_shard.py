"""Sharded grading: N `convkit grade --shard K/N` processes and `convkit merge` equal one run, byte for byte;
the shipped Kubernetes Indexed Job and GitHub Actions matrix workflow are valid and grade in shards."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from autograder.grading import shard

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample_class"
GRADE = [sys.executable, "-m", "autograder", "grade", str(SAMPLE), "--lenet", "skip", "--timeout", "2"]


def run(*args):
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_three_shards_merged_equal_one_run(tmp_path):
    # One process at a time: runs competing for the two cores would mark timeouts "starved" in one and not
    # the other, a difference of machine load, not of sharding.
    with ThreadPoolExecutor(max_workers=1) as pool:
        jobs = [pool.submit(run, *GRADE, "--out", str(tmp_path / "one"))]
        jobs += [pool.submit(run, *GRADE, "--out", str(tmp_path / f"shard{k}"), "--shard", f"{k}/3") for k in range(3)]
        for job in jobs:
            job.result()
    shards = [tmp_path / f"shard{k}" for k in range(3)]
    sizes = [len(list(s.glob("*/results.json"))) for s in shards]
    assert all(sizes) and sum(sizes) == len(list((tmp_path / "one").glob("*/results.json"))), sizes
    run(sys.executable, "-m", "autograder", "merge", *map(str, shards), "--out", str(tmp_path / "merged"))
    one, merged = (tmp_path / "one" / "grades.csv").read_bytes(), (tmp_path / "merged" / "grades.csv").read_bytes()
    assert merged == one, (one.decode(), merged.decode())
    assert (tmp_path / "merged" / "report.html").read_text().count("/feedback.html") >= sizes[0]
    assert (tmp_path / "merged" / "eve_noflip" / "feedback.html").is_file()
    # A merge that misses a shard does not equal one run: the test can fail.
    run(sys.executable, "-m", "autograder", "merge", *map(str, shards[:2]), "--out", str(tmp_path / "partial"))
    assert (tmp_path / "partial" / "grades.csv").read_bytes() != one


def test_a_student_keeps_its_shard_when_the_class_grows():
    students = [SimpleNamespace(id=f"student{i:03d}") for i in range(300)]
    before = {s.id: k for k in range(3) for s in shard.select(students, k, 3)}
    grown = students + [SimpleNamespace(id=f"late{i}") for i in range(20)]
    after = {s.id: k for k in range(3) for s in shard.select(grown, k, 3)}
    assert len(after) == 320 and all(after[name] == k for name, k in before.items())
    assert all(80 <= list(before.values()).count(k) <= 120 for k in range(3))


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "-1/2", "0/0"])
def test_a_bad_shard_is_a_clear_error(text):
    with pytest.raises(ValueError, match="shard"):
        shard.parse(text)


def test_the_kubernetes_indexed_job_grades_its_completion_index_as_the_shard():
    job = yaml.safe_load((ROOT / "docs" / "k8s" / "grade-job.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    n = job["spec"]["completions"]
    assert job["spec"]["parallelism"] <= n
    container = job["spec"]["template"]["spec"]["containers"][0]
    command = " ".join(container["command"] + container.get("args", []))
    assert "convkit grade" in command and f"--shard $(JOB_COMPLETION_INDEX)/{n}" in command
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_the_github_workflow_grades_a_matrix_of_shards_and_merges_them():
    flow = yaml.safe_load((ROOT / "docs" / "workflows" / "grade-sharded.yml").read_text())
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    steps = " ".join(step.get("run", "") for step in grade["steps"])
    assert f"--shard ${{{{ matrix.shard }}}}/{len(shards)}" in steps and shards == list(range(len(shards)))
    assert merge["needs"] == "grade" and "convkit merge" in " ".join(s.get("run", "") for s in merge["steps"])
