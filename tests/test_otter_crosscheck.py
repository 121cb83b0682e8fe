"""`convkit grade --otter`: Otter's advisory scores, from the sandbox, beside the authoritative ones."""

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder import course
from autograder.otter import crosscheck as otter_crosscheck
from autograder.otter import export as otter
from autograder.otter import sandboxed
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

#: Reads the reference solutions out of the Otter files around the module (the zip, and its copies that
#: Otter unpacked), as a module run by Otter can.
STEAL = '''
import glob
import os
import signal
import zipfile


def stolen():
    texts = []
    for depth in range(6):
        folder = os.path.normpath(os.path.join(os.getcwd(), *[".."] * depth))
        for path in glob.glob(os.path.join(folder, "*.zip")):
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(n) for n in archive.namelist() if "solutions/ex" in n]
    for path in glob.glob("**/solutions/ex*.py", recursive=True):
        with open(path, "rb") as handle:
            texts.append(handle.read())
    return b"".join(texts)
'''
#: Prints the stolen solutions on both streams, then kills Otter (its kernel's parent) and its group.
LEAK = STEAL + '''

for fd in (1, 2):
    os.write(fd, stolen())
os.kill(os.getppid(), signal.SIGKILL)
os.killpg(0, signal.SIGKILL)
'''
#: Writes Otter's results.json itself, its score `{score}`, then kills Otter before it writes its own.
FORGE = STEAL + '''
import json

out = os.path.join(os.environ["HOME"], {folder!r})
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "results.json"), "w") as handle:
    json.dump({{"tests": [{{"name": {exercise!r}, "score": {score}, "max_score": 10.0}}]}}, handle)
os.kill(os.getppid(), signal.SIGKILL)
'''
#: Replaces Otter's results.json by a link to the interpreter, then kills Otter before it writes its own.
LINK = '''
import os
import signal
import sys

os.symlink(os.path.realpath(sys.executable), os.path.join(os.environ["HOME"], {folder!r}, "results.json"))
os.kill(os.getppid(), signal.SIGKILL)
'''
#: The reference, which at import tries to write 500 MB into every folder it might write (its home, and
#: the host folders bound writable before), in 32 MB files (the per-file cap is 64 MB), then deletes them.
#: It keeps the reference's functions only when every write stopped at `within` (MB, low, high) and the
#: home took at least `within[0]` MB; otherwise correlate2d returns None and it scores 0.
FILL = '''{body}

import os

WANTED, CHUNK, FILE = 500 << 20, 4 << 20, 32 << 20


def fill(folder):
    total, paths = 0, []
    try:
        while total < WANTED:
            paths.append(os.path.join(folder, f"fill-{{len(paths)}}"))
            with open(paths[-1], "wb") as handle:
                for _ in range(FILE // CHUNK):
                    handle.write(b"x" * CHUNK)
                    total += CHUNK
    except OSError:
        pass
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass
    return total


home = os.environ["HOME"]
written = {{folder: fill(folder) for folder in (home, "/submission/out", "/submission/home")}}
low, high = {within[0]} << 20, {within[1]} << 20
if written[home] < low or max(written.values()) > high:
    def correlate2d(image, kernel):
        return None
'''


ATTACKERS = ("lea_leaks_the_zip", "fay_forges_text", "sid_links_the_results", "dia_fills_the_disk")


def solution_lines(exercise: str = EXERCISE) -> set[str]:
    """The reference solution's lines long enough to be its own (40 characters or more, stripped)."""
    return {line.strip() for line in (ROOT / "solutions" / f"{exercise}.py").read_text().splitlines()
            if len(line.strip()) >= 40}


def student_visible_text(out, student: str) -> str:
    """Everything a student may be shown: their folder's files, the class report, the cross-check CSV."""
    folder = out / student
    texts = [path.read_text(errors="replace") for path in sorted(folder.iterdir()) if path.is_file()]
    return "\n".join([*texts, (out / course.REPORT_HTML).read_text(), (out / course.OTTER_CSV).read_text()])


@pytest.fixture(scope="module")
def crosschecked(tmp_path_factory):
    """ex01 of the reference, the off-by-one student, the Otter patcher, a module writing outside its
    folder and the attacks on Otter (leak, forged scores, disk filler), graded together with --otter."""
    root = tmp_path_factory.mktemp("crosscheck")
    marker = root / "written-by-otter-run.txt"
    for student in ("ada_reference", "dan_offbyone", "nia_otter_patcher"):
        (root / "class" / student).mkdir(parents=True)
        shutil.copy(SAMPLE / student / f"{EXERCISE}.py", root / "class" / student)
    reference = (ROOT / "solutions" / f"{EXERCISE}.py").read_text()
    def forge(score):
        return FORGE.format(folder=sandboxed.OUT_FOLDER, exercise=EXERCISE, score=score)

    # The filler's writes stop at the file size cap of convkit's own workers, and at OTTER_LIMITS.tmp_mb in Otter.
    attacks = {"pia_writes_outside": PROBE.format(marker=str(marker), body=reference), "lea_leaks_the_zip": LEAK,
               "fay_forges_text": forge("stolen().decode()"),
               "sid_links_the_results": LINK.format(folder=sandboxed.OUT_FOLDER),
               "dia_fills_the_disk": FILL.format(body=reference, within=(1, sandboxed.OTTER_LIMITS.tmp_mb))}
    for student, source in attacks.items():
        (root / "class" / student).mkdir()
        (root / "class" / student / f"{EXERCISE}.py").write_text(source)
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


def test_a_module_that_prints_the_zips_solution_and_kills_otter_leaks_nothing_to_students(crosschecked):
    out, _, table, grades, _ = crosschecked
    lines = solution_lines()
    # The attack works: it read the solution and printed it, and that went to the instructor's log only.
    assert any(line in (out / course.OTTER_LOG).read_text() for line in lines)
    for student in ("lea_leaks_the_zip", "fay_forges_text"):
        visible = student_visible_text(out, student)
        assert not [line for line in lines if line in visible], student
    stored = json.loads((out / "lea_leaks_the_zip" / course.RESULTS_JSON).read_text())
    assert stored["extra_data"]["convkit"]["otter"][EXERCISE] == {"error": sandboxed.FAILED}
    assert (table["lea_leaks_the_zip"]["verdict"], table["lea_leaks_the_zip"]["note"]) == ("no score", sandboxed.FAILED)
    assert grades["lea_leaks_the_zip"]["status"] == "ok"


def test_a_forged_otter_results_file_holding_text_gives_no_score(crosschecked):
    out, _, table, _, _ = crosschecked
    stored = json.loads((out / "fay_forges_text" / course.RESULTS_JSON).read_text())
    assert stored["extra_data"]["convkit"]["otter"][EXERCISE] == {"error": sandboxed.INVALID}
    assert (table["fay_forges_text"]["verdict"], table["fay_forges_text"]["note"]) == ("no score", sandboxed.INVALID)


@pytest.mark.parametrize("score, max_score, accepted", [
    ("7", "10", True), ("0", "10", True), ("7.25", "10", False), ("1e300", "10", False), ("-1", "10", False),
    ("10", "12", False), ("NaN", "10", False), ('"def correlate2d(image, kernel):"', "10", False),
])
def test_only_a_score_the_zips_cases_add_up_to_is_taken_from_otters_results(tmp_path, zips, score, max_score,
                                                                           accepted):
    """A module can write Otter's results.json itself: the number it chose is the one thing that gets out."""
    text = f'{{"tests": [{{"name": "{EXERCISE}", "score": {score}, "max_score": {max_score}}}]}}'
    with open(tmp_path / "results", "w+b") as results, open(tmp_path / "output", "w+b") as output:
        results.write(text.encode())
        results.flush()
        if accepted:
            got = sandboxed._score(results, output, 0, tmp_path / "r.json", EXERCISE, zips[EXERCISE])
            assert got == {"earned": float(score), "possible": float(max_score)}
            return
        with pytest.raises(sandboxed.NoScore) as caught:
            sandboxed._score(results, output, 0, tmp_path / "r.json", EXERCISE, zips[EXERCISE])
        assert caught.value.reason == sandboxed.INVALID and str(caught.value) == sandboxed.INVALID


def test_otters_writable_folder_stops_a_500_mb_write_and_the_batch_goes_on(crosschecked):
    if "namespaces" not in isolation.available_layers():
        pytest.skip("convkit's own workers cap the home at 64 MB only under bubblewrap")
    _, _, table, grades, _ = crosschecked
    # Otter gives the filler full marks only if each of its writes stopped at OTTER_LIMITS.tmp_mb or before.
    assert (table["dia_fills_the_disk"]["verdict"], table["dia_fills_the_disk"]["otter_points"]) == ("agree", "10")
    assert set(grades) == {"ada_reference", "dan_offbyone", "nia_otter_patcher", "pia_writes_outside", *ATTACKERS}
    assert {row["status"] for row in grades.values()} == {"ok"}


def test_without_bubblewrap_root_mounts_a_tmpfs_that_stops_a_500_mb_write(tmp_path, monkeypatch, zips):
    if not isolation.is_root():
        pytest.skip("mounting a tmpfs needs root")
    monkeypatch.setattr(isolation, "available_layers", lambda: list(isolation.ALWAYS))
    limit = 32
    module = tmp_path / f"{EXERCISE}.py"
    module.write_text(FILL.format(body=(ROOT / "solutions" / f"{EXERCISE}.py").read_text(), within=(limit - 16, limit)))
    score = sandboxed.run_isolated(module, EXERCISE, zips[EXERCISE], timeout_s=120,
                                   limits=dataclasses.replace(sandboxed.OTTER_LIMITS, tmp_mb=limit))
    assert score == {"earned": 10.0, "possible": 10.0}


def test_the_home_folder_tmpfs_is_size_limited_owned_by_the_uid_and_unmounted(tmp_path):
    if not isolation.is_root():
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "home"
    with sandboxed._writable_home(folder, 4, isolation.UID_BASE, bwrap=False) as home:
        assert home == str(folder) and os.stat(folder).st_uid == isolation.UID_BASE
        with pytest.raises(OSError, match="No space left"), open(folder / "big", "wb") as handle:
            for _ in range(8):
                handle.write(b"x" * (1 << 20))
                handle.flush()
    assert not os.path.ismount(folder) and not (folder / "big").exists()


def test_a_writable_folder_that_cannot_be_limited_is_said_loudly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandboxed, "_mount_tmpfs", lambda *args: False)
    sandboxed.unlimited_warning.cache_clear()
    with sandboxed._writable_home(tmp_path / "home", 4, None, bwrap=False):
        pass
    assert "without a size limit" in capsys.readouterr().err


@pytest.mark.parametrize("earned, points, ok", [
    (3.0, [1.0, 1.0, 2.0], True), (4.0, [1.0, 1.0, 2.0], True), (0.0, [], True), (4.5, [1.0, 1.0, 2.0], False),
    (-1.0, [1.0], False), (float("nan"), [1.0], False), (float("inf"), [1.0], False), (1.5, [0.5, 1.0], True),
])
def test_reachable_scores_are_the_sums_of_some_cases(earned, points, ok):
    assert sandboxed.reachable(earned, points) is ok


def result_with(points: float, otter: dict) -> StudentResult:
    tests = [TestResult(EXERCISE, "t", 10.0, points, PASSED)]
    return StudentResult(student="s", tests=tests, otter={EXERCISE: otter})


@pytest.mark.parametrize("convkit, otter, verdict", [
    (10.0, {"earned": 10.0, "possible": 10.0}, "agree"),
    (4.0, {"earned": 10.0, "possible": 10.0}, "DIFFERS"),
    (10.0, {"earned": 10.0, "possible": 12.0}, "DIFFERS"),
    (0.0, {"error": sandboxed.TIMEOUT}, "no score"),
    (0.0, {"error": "OtterRunError: otter run exited 137 without a results.json:\ndef correlate2d(image"}, "no score"),
])
def test_compare_flags_every_difference_and_every_missing_score(convkit, otter, verdict):
    (row,) = otter_crosscheck.compare(result_with(convkit, otter))
    assert row["verdict"] == verdict
    assert row["convkit_points"] == convkit
    if verdict == "DIFFERS":
        assert "stands" in row["note"]
    if verdict == "no score":
        # Only a fixed reason word, even from a record that an older kit filled with Otter's output.
        assert row["note"] == (otter["error"] if otter["error"] in sandboxed.REASONS else sandboxed.FAILED)


def test_the_crosscheck_csv_lists_every_module_and_returns_the_flagged(tmp_path):
    results = [result_with(10.0, {"earned": 10.0, "possible": 10.0}), result_with(0.0, {"earned": 10.0,
                                                                                        "possible": 10.0})]
    results[1].student = "t"
    flagged = otter_crosscheck.write_csv(tmp_path / "x.csv", results)
    lines = (tmp_path / "x.csv").read_text().splitlines()
    assert lines[0].split(",") == otter_crosscheck.CSV_HEADER
    assert len(lines) == 3 and [row["student"] for row in flagged] == ["t"]


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zips")
    return {path.stem: path for path in otter.build_all(folder, [EXERCISE], lenet="skip")}


def test_otter_gets_no_score_when_it_runs_out_of_time(tmp_path, zips):
    module = tmp_path / f"{EXERCISE}.py"
    module.write_text("import time\ntime.sleep(600)\n")
    log = tmp_path / course.OTTER_LOG
    verdicts = otter_crosscheck.cross_check(tmp_path, [module.name], zips, lenet="skip", timeout_s=5,
                                            log_path=log, student="sam")
    assert verdicts[EXERCISE] == {"error": sandboxed.TIMEOUT}
    assert log.read_text().startswith(f"== sam {EXERCISE}: {sandboxed.TIMEOUT}")


def test_a_results_file_the_submission_links_elsewhere_is_not_read(crosschecked):
    out, _, table, _, _ = crosschecked
    stored = json.loads((out / "sid_links_the_results" / course.RESULTS_JSON).read_text())
    assert stored["extra_data"]["convkit"]["otter"][EXERCISE] == {"error": sandboxed.FAILED}


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
