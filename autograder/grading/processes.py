"""The trusted grading processes: each one forked, fresh, from a server that imported the trusted side once.

Starting Python and importing pytest, numpy, the hidden suites and the reference solutions costs about 0.3 s
of CPU; a class pays it once instead of once per student. The server (`multiprocessing`'s forkserver, with
`autograder.grading.warm` preloaded) runs no student code and keeps no state between students: every
grading process is a new fork of it, with the environment and working folder the batch gives it, its
stdout and stderr sent to a log file, and a deadline after which it is killed.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing
import os
import sys
from pathlib import Path

#: The module the server imports before it forks the first grading process.
PRELOAD = "autograder.grading.warm"
#: A grading process computes on one core (`--jobs` runs several side by side): BLAS threads would only
#: wait for each other's core, and numpy starts them when the server imports it, so they are set first.
ONE_THREAD = {f"{name}_NUM_THREADS": "1" for name in ("OPENBLAS", "OMP", "MKL")}


@functools.cache
def _context():
    for name, value in ONE_THREAD.items():
        os.environ.setdefault(name, value)  # The server inherits this process's environment when it starts.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def start_server() -> None:
    """Start the server now (it imports for about a second), so that its start overlaps the caller's work."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def _resolve(target: str):
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _child(target: str, args: tuple, cwd: str, environ: dict[str, str], log_path: str) -> None:
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for stream in (1, 2):
        os.dup2(log, stream)
    os.close(log)
    code = _resolve(target)(*args)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code or 0)


def run(target: str, args: tuple, *, timeout: float, cwd: Path, environ: dict[str, str], log_path: Path) -> int | None:
    """Run `target(*args)` in a fresh grading process: `target` names a module-level function returning an exit
    code, as "package.module:function" (a name, so that the caller need not import what the server did).

    Returns its exit code, or None when it was still running at `timeout` seconds and was killed. What it
    printed is appended to `log_path`.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    if not (isinstance(target, str) and all(part.isidentifier() for part in target.replace(".", ":").split(":"))
            and target.count(":") == 1):
        raise ValueError(f"target must be 'package.module:function', got {target!r}")
    process = _context().Process(target=_child, args=(target, args, str(cwd), dict(environ), str(log_path)))
    process.start()
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
        return None
    return process.exitcode


def read_tail(log_path: Path, limit: int = 20000) -> str:
    """The last `limit` characters of a grading process's log ("" when it wrote none)."""
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return ""
