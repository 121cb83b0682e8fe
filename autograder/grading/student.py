"""Grade one student: run the hidden suites in this trusted process against the student's sandboxed modules.

This module runs as its own process per student (`python -m autograder.grading.student SPEC.json`), started by the
batch in `autograder.grading.batch`. It never imports student code: the `student` fixture of the hidden suites is
a proxy whose calls cross into a sandbox worker (`autograder.sandbox`). Verdicts come only from the
checks' comparison of returned data; nothing the student prints is parsed. The result is written as
results.json and feedback.md by this process after every sandbox worker is gone.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

import pytest

from autograder import course
from autograder.course import FEEDBACK_MD, GRADER_LOG, RESULTS_JSON
from autograder.grading import audit, feedback
from autograder.grading.spec import HIDDEN_DIR, GradingSpec
from autograder.results import (
    NOT_RUN,
    PASSED,
    StudentResult,
    TestResult,
    gradescope_results,
    write_atomic,
)
from autograder.verdicts import Reason, Status
from exercises.checks import CheckFailure, SubmissionError

INTERNAL_ERROR = ("the grader could not finish this test (an internal error, not your fault); "
                  "your instructor has the details")


#: pytest's own plugins that grading has no use for: each costs time on every student (unraisableexception
#: alone runs five garbage collections at the end of a session; capture swaps file descriptors around each of a
#: test's three phases, a tenth of the grading process's own CPU, to catch output that only the trusted side could
#: print: a sandbox worker's goes to /dev/null).
UNUSED_PYTEST_PLUGINS = ("unraisableexception", "threadexception", "faulthandler", "logging", "junitxml",
                         "doctest", "pastebin", "nose", "legacypath", "tmpdir", "monkeypatch", "recwarn",
                         "stepwise", "warnings", "capture", "debugging", "unittest", "setuponly", "setupplan",
                         "python_path", "subtests")


#: After this many timeouts of one function, later tests of it fail at once instead of waiting again.
TIMEOUTS_PER_FUNCTION = 2


class InvalidSubmissionError(SubmissionError):
    """The submission was refused at intake, so none of its code is run."""

    reason = Reason.INVALID_SUBMISSION


class _Refusing:
    """A module proxy that answers every call with the same error."""

    def __init__(self, error: SubmissionError):
        self._error = error

    def __getattr__(self, name: str):
        def refuse(*args, **kwargs):
            raise self._error
        return refuse


class _TimeoutBudget:
    """A module proxy that stops calling a function once it has timed out `TIMEOUTS_PER_FUNCTION` times.

    Every later test of that function fails with the same "timed out" reason, so an endless loop costs a
    student's batch two timeouts per function instead of one per test.
    """

    def __init__(self, proxy):
        self._proxy = proxy
        self._timeouts: dict[str, list[SubmissionError]] = {}

    def __getattr__(self, name: str):
        function = getattr(self._proxy, name)

        def call(*args, **kwargs):
            seen = self._timeouts.setdefault(name, [])
            if len(seen) >= TIMEOUTS_PER_FUNCTION:
                raise type(seen[-1])(f"{seen[-1]} (not run again: {name} timed out {len(seen)} times)")
            try:
                return function(*args, **kwargs)
            except SubmissionError as error:
                if getattr(error, "reason", "") == Reason.TIMEOUT:
                    seen.append(error)
                raise
        return call


def _pretty_name(item: pytest.Item) -> str:
    """`correlate2d matches reference [H7-W9]` for `test_correlate2d_matches_reference[H7-W9]`."""
    base, _, params = item.name.partition("[")
    words = base.removeprefix("test_").replace("_", " ")
    return f"{words} [{params}" if params else words


def _message(error: BaseException) -> tuple[str, str]:
    """Student-visible text and a short reason for a failed test; never test source or hidden arrays."""
    if isinstance(error, CheckFailure):
        return str(error), Reason.WRONG_ANSWER
    if isinstance(error, SubmissionError):
        return str(error), getattr(error, "reason", Reason.EXCEPTION)
    if type(error).__name__ == "StudentException" or getattr(error, "from_student", False):
        line = getattr(error, "line", None)
        where = f" (line {line} of your file)" if type(line) is int else ""
        return f"your code raised {error}{where}", Reason.EXCEPTION
    return INTERNAL_ERROR, Reason.GRADER_ERROR


#: A timeout is not held against the student when the worker spent at least this share of the call waiting,
#: runnable, for a CPU: other processes (a neighbour's busy loops, a loaded machine), not the code, were slow.
STARVED_SHARE = 0.5
STARVED_NOTE = ("the machine was too busy to time this fairly (your code waited for a CPU {share:.0%} of the "
                "time), so this verdict does not count: `convkit grade --resume` grades it again")


#: The verdicts so far are written at most this often (seconds): a grading process stopped at its deadline
#: loses at most the verdicts of its last half second, which --resume grades again.
PARTIAL_EVERY_S = 0.5

NOT_REACHED = ("not reached: grading stopped at the per-student deadline before this test ran; "
               "`convkit grade --resume` grades it again")


class Collector:
    """A pytest plugin that turns hidden-test reports into `TestResult`s with points from the markers.

    A test that timed out while its worker was starved of CPU (see `STARVED_SHARE`) gets the reason
    `Reason.STARVED` instead of a timeout, and the student the status `Status.STARVED`.
    """

    def __init__(self, provider, error_log: Path, sandbox=None, figure_dir: Path | None = None,
                 partial: tuple[StudentResult, Path] | None = None):
        """`partial` (the result being built, its results.json): after a test (at most every
        `PARTIAL_EVERY_S`) the verdicts so far are written there with the status `deadline` and every test not
        yet run as not reached, so a grading process stopped at its deadline leaves the points earned."""
        self.partial = partial
        self.provider = provider
        self.sandbox = sandbox
        self.error_log = error_log
        self.figure_dir = figure_dir
        self.results: list[TestResult] = []
        #: Wrong array answers to picture, kept until the student's worker is gone (see `draw_pending`).
        self._pending: list[tuple[TestResult, object, object]] = []
        self._written_at = 0.0

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            self.results.append(TestResult(exercise=item.path.stem.removeprefix("test_"), name=_pretty_name(item),
                                           max_score=float(marker.args[0]) if marker else 0.0,
                                           output=NOT_REACHED, reason=Reason.DEADLINE))
        self._write_partial(force=True)

    def _write_partial(self, force: bool = False) -> None:
        if self.partial is None or not (force or time.monotonic() - self._written_at >= PARTIAL_EVERY_S):
            return
        self._written_at = time.monotonic()
        result, path = self.partial
        snapshot = StudentResult(**{**result.__dict__, "tests": list(self.results), "status": Status.DEADLINE})
        # Not fsynced: it is replaced after every test, and by the final record at the end.
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_text(json.dumps(gradescope_results(snapshot)), encoding="utf-8")
        os.replace(tmp, path)

    def pytest_configure(self, config):
        from autograder.hidden.conftest import set_module_provider, set_sandbox
        set_module_provider(config, self.provider)
        if self.sandbox is not None:
            set_sandbox(config, self.sandbox)

    def pytest_runtest_setup(self, item):
        # Every test starts in a fresh worker: a module cannot carry what it saw (or timed) into later tests.
        if self.sandbox is not None:
            self.sandbox.fresh()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.when == "setup" and report.passed:
            return
        if call.when == "teardown" and not report.failed:
            return
        marker = item.get_closest_marker("points")
        points = float(marker.args[0]) if marker else 0.0
        test = TestResult(exercise=item.path.stem.removeprefix("test_"), name=_pretty_name(item),
                          max_score=points)
        if report.passed:
            test.score, test.status = points, PASSED
        elif report.skipped:
            test.status = NOT_RUN
            test.output = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "not run"
            test.output = test.output.removeprefix("Skipped: ")
        else:
            error = call.excinfo.value if call.excinfo else None
            test.output, test.reason = _message(error) if error is not None else (INTERNAL_ERROR, Reason.GRADER_ERROR)
            if test.reason in (Reason.TIMEOUT, Reason.IMPORT_TIMEOUT):
                share = getattr(error, "waited_share", 0.0)
                if type(share) is float and share >= STARVED_SHARE:
                    test.reason = Reason.STARVED
                    test.output = f"{test.output}\n{STARVED_NOTE.format(share=min(share, 1.0))}"
            if test.reason == Reason.GRADER_ERROR:
                with open(self.error_log, "a", encoding="utf-8") as log:
                    log.write(f"== {item.nodeid}\n{''.join(traceback.format_exception(error))}\n")
            if isinstance(error, CheckFailure) and error.arrays is not None:
                self._pending.append((test, *error.arrays))
        self.results = [r for r in self.results if (r.exercise, r.name) != (test.exercise, test.name)]
        self.results.append(test)
        self._write_partial()

    def draw_pending(self) -> None:
        """Draw the pictures of wrong answers. Called after the sandbox is closed: drawing takes time only
        after a failure, and a worker still running could measure the pause and learn its verdict."""
        for test, got, expected in self._pending:
            if any(r is test for r in self.results):
                test.figure = self._draw(test, got, expected)
        self._pending = []

    def _draw(self, test: TestResult, got, expected) -> str:
        """The file name of a new picture of a wrong array answer; "" past `feedback.MAX_FIGURES` or when the
        function named by the failure's "checked:" line already has its picture."""
        drawn = [r for r in self.results if r.figure]
        if self.figure_dir is None or len(drawn) >= feedback.MAX_FIGURES:
            return ""
        if any(_checked_call(r) == _checked_call(test) for r in drawn):
            return ""
        name = f"{test.exercise}-{re.sub(r'[^A-Za-z0-9]+', '-', test.name).strip('-')[:80]}.png"
        try:
            feedback.answer_figure(got, expected, self.figure_dir / name)
        except Exception:  # noqa: BLE001 - a picture that cannot be drawn (huge values) only drops the picture.
            return ""
        return name


def _checked_call(test: TestResult) -> tuple[str, str]:
    """(exercise, function) of a failed test, the function read from its "checked: f(...)" line."""
    found = re.search(r"^checked: (\w+)\(", test.output, re.MULTILINE)
    return test.exercise, found.group(1) if found else test.name


def _provider(spec: GradingSpec, sandbox):
    from autograder.sandbox import Forbidden

    submitted = set(spec.files)
    proxies = {}

    def provide(module: str):
        if spec.invalid:
            return _Refusing(InvalidSubmissionError(f"invalid submission: {spec.invalid}"))
        if module not in proxies:
            proxies[module] = _TimeoutBudget(sandbox.module(module))
            path = Path(spec.submission_dir) / f"{module}.py"
            if module in audit.AUDITED_EXERCISES and f"{module}.py" in submitted:
                found = audit.forbidden_uses(path.read_text(encoding="utf-8", errors="replace"))
                if found:
                    proxies[module] = _Refusing(Forbidden(f"forbidden API: {', '.join(found)} is not allowed in "
                                                          f"{module}; write the computation with plain numpy"))
        return proxies[module]
    return provide


def _pytest_args() -> list[str]:
    """pytest's arguments for the hidden suite, which runs with its own pytest.ini and nothing else."""
    # Installed pytest plugins (hypothesis, xdist, ...) have no say in grading and cost seconds to load;
    # the hidden tests judge with the check library, so pytest's assertion rewriting is not needed either,
    # and pytest formats no traceback: the collector writes a grader error's to the error log itself.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return [str(HIDDEN_DIR), "-q", "-p", "no:cacheprovider", "--assert=plain", "--no-header",
            "-c", str(HIDDEN_DIR / "pytest.ini"), "--rootdir", str(HIDDEN_DIR), "-o", "console_output_style=classic",
            "--tb=no", *(f"-pno:{name}" for name in UNUSED_PYTEST_PLUGINS)]


class _Counter:
    def __init__(self):
        self.count = 0

    def pytest_collection_modifyitems(self, items):
        self.count = len(items)


def count_hidden_tests(answer_path: str) -> int:
    """Collect the hidden suite without running it and write how many tests it holds to `answer_path`."""
    counter = _Counter()
    code = pytest.main([*_pytest_args(), "--collect-only"], plugins=[counter])
    Path(answer_path).write_text(str(counter.count), encoding="utf-8")
    return int(code)


def grade(spec: GradingSpec, lane=None) -> StudentResult:
    """Run the hidden suites for one student and write results.json and feedback.md; `lane` (a
    `autograder.sandbox.lane.LaneHandle` whose folder holds the submission) serves its numpy modules."""
    from autograder.sandbox import Limits, Sandbox

    started = time.monotonic()
    out_dir = Path(spec.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = course.Settings(seed=spec.seed, timeout_s=spec.timeout_s, lenet=spec.lenet,
                               min_isolation=spec.min_isolation)
    result = StudentResult(student=spec.student, files=spec.files, warnings=list(spec.warnings))
    if spec.invalid:
        result.status = Status.INVALID_SUBMISSION
        result.warnings.append(f"invalid submission: {spec.invalid}")
    elif not any(name.endswith(".py") for name in spec.files):
        # Nothing gradable was found (no module, or only a weights file): a row of zeros must not read "ok".
        result.status = Status.NOTHING_GRADED
    limits = Limits(call_timeout_s=spec.timeout_s)
    keras = course.keras_exercise()
    with Sandbox(Path(spec.submission_dir), limits, min_isolation=spec.min_isolation,
                 forbidden=course.forbidden_imports(), keras_modules=(keras.name,),
                 builder=keras.builder, trainer=keras.trainer, weights_file=course.WEIGHTS_FILE, lane=lane) as sandbox:
        result.isolation = list(sandbox.isolation)
        result.settings = {**settings.record(), "isolation": result.isolation}
        collector = Collector(_provider(spec, sandbox), out_dir.parent / GRADER_LOG, sandbox, out_dir,
                              partial=(result, out_dir / RESULTS_JSON))
        args = [*_pytest_args(), f"--convkit-seed={spec.seed}", f"--convkit-lenet={spec.lenet}"]
        code = pytest.main(args, plugins=[collector])
    # The worker is gone: only now may the time-consuming pictures of wrong answers be drawn.
    collector.draw_pending()
    result.tests = collector.results
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        result.status = f"{Status.GRADER_ERROR} (pytest exit {int(code)})"
    elif any(t.reason == Reason.GRADER_ERROR for t in result.tests):
        result.status = Status.GRADER_ERROR
    elif any(t.reason == Reason.STARVED for t in result.tests):
        result.status = Status.STARVED
    result.seconds = round(time.monotonic() - started, 2)
    write_atomic(out_dir / FEEDBACK_MD, feedback.feedback_markdown(result))
    write_atomic(out_dir / RESULTS_JSON, json.dumps(gradescope_results(result), indent=2))
    return result


def main(argv: list[str] | None = None, lane=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec = GradingSpec(**json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    grade(spec, lane)
    return 0


if __name__ == "__main__":
    sys.exit(main())
