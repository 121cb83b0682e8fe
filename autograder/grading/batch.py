"""Grade a whole class: intake, one trusted grading process per student, grades.csv, the class report.

Each student is graded by `autograder.grading.student` in a process of its own (several at once with `jobs`),
forked fresh from one server (`autograder.grading.processes`), so one student's trouble never costs another a
row. grades.csv is rewritten atomically after every student, and each student's results.json is the record
`resume` reads back: a batch killed at any moment and rerun with `resume=True` ends with the same grades.csv
as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import solutions
from autograder import course, scratch
from autograder.course import GRADER_LOG, GRADES_CSV, OTTER_CSV, OTTER_ZIPS, OUTPUT_NAMES, REPORT_HTML, RESULTS_JSON
from autograder.grading import intake, processes
from autograder.grading.spec import COUNT_HIDDEN_TESTS, GRADE_STUDENT, HIDDEN_DIR, GradingSpec
from autograder.otter import crosscheck as otter_crosscheck
from autograder.results import StudentResult, gradescope_results, load_student_result, write_atomic, write_grades_csv
from autograder.sandbox import isolation
from autograder.verdicts import Status

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CLASS = ROOT / "examples" / "sample_class"
#: What no student's code may read: the reference solutions, the hidden suites and the kit's own tests.
KIT_SECRETS = (Path(solutions.__file__).resolve().parent, HIDDEN_DIR, ROOT / "tests")
__all__ = ["BatchOptions", "grade_class", "grade_student", "GRADES_CSV", "REPORT_HTML", "OTTER_CSV", "OTTER_ZIPS",
           "GRADER_LOG", "OUTPUT_NAMES", "SAMPLE_CLASS"]
#: Environment variables that name folders; made absolute once, before any grading process starts.
PATH_VARIABLES = ("CONVKIT_DATA_DIR",)
#: The most calls into the student's code one hidden test makes (a call that must raise, then a valid one ...).
CALLS_PER_TEST = 3


def absolute_path_variables(environ=os.environ) -> None:
    """Make the folder-naming variables of `environ` absolute against the current working directory.

    Every grading process runs in a scratch folder of its own, where a relative path the user typed
    (`CONVKIT_DATA_DIR=../shared/datasets`) would name nothing.
    """
    for name in PATH_VARIABLES:
        value = environ.get(name)
        if value:
            environ[name] = os.path.abspath(os.path.expanduser(value))


@dataclass
class BatchOptions:
    """The options of `convkit grade`; the grading settings' defaults come from `course.Settings`."""

    out_dir: Path = Path(course.DEFAULT_OUT)
    jobs: int = 1
    timeout_s: float = course.DEFAULTS.timeout_s
    lenet: str = course.DEFAULTS.lenet
    resume: bool = False
    seed: int = course.DEFAULTS.seed
    min_isolation: str = course.DEFAULTS.min_isolation
    #: Also grade each module with Otter in the sandbox and flag disagreements (advisory; see otter_crosscheck).
    otter: bool = False
    #: (K, N): grade only shard K (from 0) of N stable slices of the class (see autograder/grading/shard.py).
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        # Each student is graded by a process started in its own scratch folder: a relative out_dir would
        # point there, so it is made absolute against the working directory of the batch.
        self.out_dir = Path(self.out_dir).absolute()
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs}")
        self.settings  # noqa: B018 - validates the grading settings now, before any student is graded.

    @property
    def settings(self) -> course.Settings:
        """The settings every student of this batch is graded with."""
        return course.Settings(seed=self.seed, timeout_s=self.timeout_s, lenet=self.lenet,
                               min_isolation=self.min_isolation)

    def student_deadline(self) -> float:
        """Seconds a whole student may take before the grading process itself is stopped.

        It follows from the work the hidden suite may legitimately do: `CALLS_PER_TEST` calls of every hidden
        test each taking just under the per-call timeout, each module's import, and the LeNet's start, JSON,
        predictions and (in train mode) training budget, with two minutes for the grading process itself.
        A student stopped there keeps the points earned so far (see `_stopped_at_deadline`).
        """
        from autograder.sandbox import Limits

        keras = Limits.for_keras()
        numpy_imports = len(course.names("numpy")) * Limits().import_timeout_s
        lenet = keras.import_timeout_s + 3 * keras.call_timeout_s + (2 * 2 * keras.train_timeout_s
                                                                     if self.lenet == "train" else 0)
        return CALLS_PER_TEST * hidden_test_count() * self.timeout_s + numpy_imports + lenet + 120


@functools.cache
def hidden_test_count() -> int:
    """How many tests the hidden suite holds (its parametrized cases counted), collected once per process."""
    with scratch.folder("count") as folder:
        answer, log = folder / "count", folder / "log"
        code = processes.run(COUNT_HIDDEN_TESTS, (str(answer),), timeout=300, cwd=ROOT,
                             environ=os.environ, log_path=log)
        count = int(answer.read_text()) if code == 0 and answer.is_file() else 0
        if count == 0:
            raise RuntimeError(f"the hidden suite collected no test (exit {code}):\n{processes.read_tail(log)}")
    return count


def _grader_error(student: str, why: str) -> StudentResult:
    return StudentResult(student=student, status=f"{Status.GRADER_ERROR}: {why}")


def grade_student(student: intake.Student, options: BatchOptions, scratch_root: Path,
                  otter_zips: dict[str, Path] | None = None, lanes: queue.Queue | None = None) -> StudentResult:
    """Take in one student's files and grade them in a separate trusted process.

    With `otter_zips` (exercise -> autograder zip), each submitted module is then also graded by Otter in
    the sandbox, and Otter's scores are stored beside convkit's in the student's results.json (what Otter
    printed goes only to the instructor's `course.OTTER_LOG`). With `lanes` (a queue of
    `autograder.sandbox.lane.Lane`), the student's files go to a free lane's folder and that lane serves
    the numpy modules; it goes back to the queue, ready for the next student, when the student is done.
    """
    lane = lanes.get() if lanes is not None else None
    try:
        return _grade_student(student, options, scratch_root, otter_zips, lane)
    finally:
        if lane is not None:
            lanes.put(lane)


def _hand_on(lane, last_exit: int | None) -> None:
    """Make `lane` ready for the next student; one that cannot restart leaves its students a box of their own."""
    try:
        lane.ready_for_next(last_exit)
    except Exception as error:  # noqa: BLE001 - a lane that cannot restart must not end the batch.
        print(f"a sandbox lane could not be restarted ({error}); the students it would have served "
              "get a box of their own", file=sys.stderr)
        lane.stop()


def _grade_student(student: intake.Student, options: BatchOptions, scratch_root: Path,
                   otter_zips: dict[str, Path] | None, lane) -> StudentResult:
    """`grade_student` on `lane` (or None), which is handed on to the next student when this one is done."""
    scratch = scratch_root / student.id
    out_dir = options.out_dir / student.id
    submission = lane.folder if lane is not None else scratch / "submission"
    scratch.mkdir(parents=True, exist_ok=True)
    spec = GradingSpec(student=student.id, submission_dir=str(submission), out_dir=str(out_dir),
                       timeout_s=options.timeout_s, lenet=options.lenet, seed=options.seed,
                       min_isolation=options.min_isolation)
    environ = dict(os.environ)
    absolute_path_variables(environ)
    try:
        taken = intake.take_in(student, submission)
        spec.files, spec.warnings = taken.files, taken.warnings
    except intake.InvalidSubmission as error:
        spec.invalid = str(error)
    spec_path = scratch / "spec.json"
    spec_path.write_text(json.dumps(asdict(spec)), encoding="utf-8")
    code = None
    try:
        log_path = scratch / "grading.log"
        scratch.chmod(0o711)
        try:
            served = lane is not None and lane.worker is not None and not spec.invalid
            args = ([str(spec_path)], lane.handle()) if served else ([str(spec_path)],)
            code = processes.run(GRADE_STUDENT, args, timeout=options.student_deadline(), cwd=scratch,
                                 environ=environ, log_path=log_path)
        finally:
            # A grading process killed at its deadline never cleaned up after its workers; do it now.
            if "uid" in isolation.available_layers():
                isolation.sweep_free_uids()
            isolation.sweep_cgroups()
        if code is None:
            return _stopped_at_deadline(student.id, out_dir, options.student_deadline())
        result = load_student_result(out_dir / RESULTS_JSON)
        if code != 0 or result is None:
            log = options.out_dir / GRADER_LOG
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"== {student.id} (exit {code})\n{processes.read_tail(log_path)}\n")
            return _grader_error(student.id, f"grading process exited with {code}; see {log.name}")
        if otter_zips and not spec.invalid:
            result.otter = otter_crosscheck.cross_check(submission, spec.files, otter_zips,
                                                        lenet=options.lenet, call_timeout_s=options.timeout_s,
                                                        log_path=options.out_dir / course.OTTER_LOG, student=student.id)
            write_atomic(out_dir / RESULTS_JSON, json.dumps(gradescope_results(result), indent=2))
        return result
    finally:
        if lane is None:
            intake.remove_scratch(submission)
        else:
            _hand_on(lane, code)


def _stopped_at_deadline(student: str, out_dir: Path, deadline: float) -> StudentResult:
    """The result of a grading process stopped at its deadline: the verdicts it recorded so far, the tests it
    did not reach worth 0, and the status `deadline` (which `--resume` grades again)."""
    from autograder.grading import feedback

    result = load_student_result(out_dir / RESULTS_JSON)
    if result is None or Status.parse(result.status) is not Status.DEADLINE:
        return _grader_error(student, f"grading took longer than {deadline:.0f} s")
    result.warnings.append(f"grading stopped at the per-student deadline of {deadline:.0f} s; the points earned "
                           "until then are kept, the tests not reached count 0 until --resume grades them again")
    result.seconds = round(deadline, 2)
    write_atomic(out_dir / course.FEEDBACK_MD, feedback.feedback_markdown(result))
    write_atomic(out_dir / RESULTS_JSON, json.dumps(gradescope_results(result), indent=2))
    return result


def _lacks_otter_verdicts(result: StudentResult) -> bool:
    """True when `result` has modules Otter could grade but no Otter verdict (a run without --otter, or
    one killed between convkit's grades and the cross-check): `--resume --otter` grades such students again."""
    modules = {entry.module_file for entry in course.EXERCISES}
    return bool(modules.intersection(result.files)) and not result.otter


def _kept_by_resume(kept: StudentResult | None, options: BatchOptions) -> tuple[bool, str]:
    """Whether `--resume` keeps a stored result, and if not, why it is graded again ("" when never graded)."""
    if kept is None:
        return False, ""
    status = Status.parse(kept.status)
    if status is not None and status.regraded_by_resume:
        return False, f"its status was {status}"
    changed = options.settings.differences(kept.settings)
    if changed:
        return False, "it was graded with other settings: " + ", ".join(changed)
    if options.otter and _lacks_otter_verdicts(kept):
        return False, "it has no Otter scores yet"
    return True, ""


@contextlib.contextmanager
def _lanes(options: BatchOptions, layers: list[str], scratch_root: Path, students: int):
    """A queue of `options.jobs` running lanes (`autograder.sandbox.lane`), or None where lanes cannot serve:
    without bubblewrap, for fewer than two students, or when the numpy exercises refuse different imports."""
    forbidden = {tuple(course.forbidden_imports().get(name, [])) for name in course.names("numpy")}
    if "namespaces" not in layers or students < 2 or len(forbidden) != 1:
        yield None
        return
    from autograder.sandbox import Limits
    from autograder.sandbox import lane as lanes

    hidden, started, waiting = forbidden.pop(), [], queue.Queue()
    try:
        try:
            for index in range(min(options.jobs, students)):
                lane = lanes.Lane(scratch_root / f"lane-{index}", Limits(call_timeout_s=options.timeout_s),
                                  use_uid="uid" in layers, hidden_modules=hidden)
                started.append(lane)
                lane.start()
                waiting.put(lane)
        except Exception as error:  # noqa: BLE001 - without lanes every student gets a box of its own.
            print(f"sandbox lanes unavailable ({error}); every student gets a box of its own", file=sys.stderr)
            waiting = None
        yield waiting
    finally:
        for lane in started:
            lane.stop()


def build_otter_zips(options: BatchOptions) -> dict[str, Path]:
    """The Otter autograder zips of the cross-check, built with this batch's seed and LeNet mode."""
    from autograder.otter import export as otter

    paths = otter.build_all(options.out_dir / OTTER_ZIPS, seed=options.seed, lenet=options.lenet)
    return {path.stem: path for path in paths}


def grade_class(class_dir: Path | None, options: BatchOptions, progress=None) -> list[StudentResult]:
    """Grade every student of `class_dir` (the bundled sample class when None); returns their results.

    `progress`, when given, is called as `progress(done, total, result)` after each student.
    """
    absolute_path_variables()
    processes.start_server()
    layers, _report = isolation.check_config(options.min_isolation)
    # What batches killed with SIGKILL (or a machine reset) left under the temp folder: whole submissions.
    left = scratch.sweep()
    if left:
        print(f"removed {len(left)} scratch folder(s) of batches that are gone", file=sys.stderr)
    class_dir = Path(class_dir) if class_dir else SAMPLE_CLASS
    students, warnings = intake.discover(class_dir, reserved=OUTPUT_NAMES)
    if options.shard:
        from autograder.grading import shard
        students = shard.select(students, *options.shard)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    if "uid" in layers:
        # Without bubblewrap's file view only file modes keep a sandbox uid from the reference solutions,
        # the hidden tests and the other students' results.
        isolation.close_to_others([*KIT_SECRETS, options.out_dir])
    done: dict[str, StudentResult] = {}
    if options.resume:
        for student in students:
            kept = load_student_result(options.out_dir / student.id / RESULTS_JSON)
            keep, why = _kept_by_resume(kept, options)
            if keep:
                done[student.id] = kept
            elif why:
                print(f"resume: grading {student.id} again: {why}", file=sys.stderr)
    todo = [s for s in students if s.id not in done]
    csv_path = options.out_dir / GRADES_CSV
    write_grades_csv(csv_path, list(done.values()))
    if progress:
        progress(len(done), len(students), None)
    zips = build_otter_zips(options) if options.otter and todo else None
    with scratch.folder("batch") as scratch_root, _lanes(options, layers, scratch_root, len(todo)) as lanes, \
            ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        scratch_root.chmod(0o711)  # Sandbox uids may pass through to their own folder, never list.
        futures = {pool.submit(grade_student, s, options, scratch_root, zips, lanes): s for s in todo}
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one student's failure must never end the batch.
                result = _grader_error(student.id, f"{type(error).__name__}: {error}")
            done[student.id] = result
            write_grades_csv(csv_path, list(done.values()))
            if progress:
                progress(len(done), len(students), result)
    results = sorted(done.values(), key=lambda r: r.student)
    if options.otter:
        otter_crosscheck.write_csv(options.out_dir / OTTER_CSV, results)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return results
