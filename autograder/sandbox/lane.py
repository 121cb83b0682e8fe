"""Lanes: one bubblewrap box that serves the numpy modules of one student after another.

Starting a box (bubblewrap, Python, numpy) costs about 0.1 s of CPU, a sixth of what grading a student's
numpy modules costs. A batch grading `--jobs N` students at a time starts N lanes once (`Lane.start`, in the
batch's process) and hands one to each student's grading process (`Lane.handle`, passed through the
forkserver with the pipes' file descriptors). Between two students the lane is what a zygote's box is
between two tests, and more:

- the student's zygote (`inside._zygote`), which compiled that student's files and forked each test's
  child, has ended: the lane itself (the box's init, `inside._lane`) never compiles or imports a student
  file, and forks the next student's zygote from that state;
- every other process in the box is killed, /tmp and /dev/shm are emptied, every System V IPC object is
  removed;
- the lane's folder (its read-only working directory) holds the next student's files only: the batch empties
  it and takes the next submission in after the lane reported the last student done (`ready_for_next`).

A lane that does not answer as expected, or that a grading process killed (a timeout kills the whole box),
is replaced before the next student (`ready_for_next`). Layers, limits and file view are a per-student
box's: the same `launch` builds it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.process import SandboxError, WorkerProcess


def _inherited(fd) -> int:
    return fd.detach()


class InheritedFd:
    """A file descriptor that travels to a process started by multiprocessing's forkserver (a dup of it)."""

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self):
        from multiprocessing import reduction

        return _inherited, (reduction.DupFd(self.fd),)


@dataclass
class LaneHandle:
    """What a grading process needs to use a lane: the pipes' trusted ends, the box's pid, its hidden
    packages. Pickled for the forkserver, the descriptors arrive as the grading process's own."""

    request_w: int | InheritedFd
    reply_r: int | InheritedFd
    pid: int
    hidden_modules: tuple[str, ...]

    def __reduce__(self):
        return LaneHandle, (InheritedFd(self.request_w), InheritedFd(self.reply_r), self.pid, self.hidden_modules)

    def attach(self, limits) -> WorkerProcess:
        """The lane as a zygote worker of this process's sandbox (see `WorkerProcess.attached`), on duplicates
        of the descriptors: the worker closes its own when the sandbox is done with the lane."""
        return WorkerProcess.attached(os.dup(self.request_w), os.dup(self.reply_r), self.pid, limits,
                                      self.hidden_modules)


class Lane:
    """A lane box and its folder, owned by the batch's process (start and replace it from one thread)."""

    def __init__(self, folder: Path, limits, *, use_uid: bool, hidden_modules: tuple[str, ...]):
        """`folder`: an empty folder of the batch's scratch space, the lane's working directory; `limits` the
        `Limits` of every worker it forks; `hidden_modules` the packages its file view leaves out."""
        self.folder, self.limits, self.use_uid = Path(folder), limits, use_uid
        self.hidden_modules = tuple(hidden_modules)
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o755)
        self.worker: WorkerProcess | None = None
        self.starts = 0

    def start(self) -> None:
        """Start (or replace) the box; raises SandboxError when it does not come up with its seccomp filter."""
        self.stop()
        worker = WorkerProcess(self.folder, "", self.limits, mode="bwrap", use_uid=self.use_uid, keras=False,
                               hidden_modules=self.hidden_modules, lane=True)
        try:
            worker.wait_ready(max(30.0, self.limits.import_timeout_s))
            if not worker.seccomp:
                raise SandboxError("the lane did not install its seccomp filter")
        except SandboxError:
            worker.kill()
            raise
        self.worker = worker
        self.starts += 1

    def handle(self) -> LaneHandle:
        if self.worker is None:
            raise SandboxError("the lane is not running")
        return LaneHandle(self.worker.request_w, self.worker.reply_r, self.worker.proc.pid, self.hidden_modules)

    def empty(self) -> None:
        """Remove every file of the lane's folder (the last student's), keeping the folder itself: the box
        sees it through a bind mount of this very folder."""
        for entry in os.scandir(self.folder):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)

    def ready_for_next(self, last_exit: int | None) -> None:
        """Make the lane ready for the next student: empty its folder, and replace the box unless the last
        grading process ended normally (`last_exit` 0) and the lane answers as an idle lane does."""
        self.empty()
        if self.worker is None or last_exit != 0 or self.worker.proc.poll() is not None or not self.worker.ping():
            self.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.kill()
            self.worker = None
