"""Readable output on unfinished exercises: a test that fails only because a function still raises
`NotImplementedError` is reported once per function as "not implemented yet", not as a traceback.

Such a test still counts as failed (pytest's exit status is 1 and the JUnit report records a failure); it is
only shown in its own category, `not implemented`, instead of in the FAILURES section. Every other failure
(a wrong answer, a crash) is printed in full as usual.
"""

from __future__ import annotations

import pytest

#: Function ("ex01_convolution.correlate2d") -> how many tests failed only because it is not written yet.
WAITING: dict[str, int] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(NotImplementedError):
        # The innermost frame is the stub that raised: name the function by its module and name.
        frame = call.excinfo.traceback[-1]
        module = frame.frame.f_globals.get("__name__", "?")
        report.convkit_function = f"{module.rsplit('.', 1)[-1]}.{frame.name}"
    return report


def pytest_report_teststatus(report, config):
    if report.failed and getattr(report, "convkit_function", None):
        return "not implemented", "N", "NOT IMPLEMENTED"
    return None


def pytest_runtest_logreport(report):
    function = getattr(report, "convkit_function", None)
    if function and report.failed:
        WAITING[function] = WAITING.get(function, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if not WAITING:
        return
    terminalreporter.section("not implemented yet")
    for function, tests in WAITING.items():
        terminalreporter.line(f"{function} is not implemented yet ({tests} test{'s' * (tests != 1)} wait for it)")
