"""A sandbox worker process, seen from the trusted side: start it, talk to it with deadlines, kill it.

`WorkerProcess` starts `autograder.sandbox.inside` with the one launcher (`autograder.sandbox.launch`, which
the Otter cross-check uses too), sends request frames and reads reply frames through private pipes without
ever blocking past a deadline (a pidfd tells when the process exits). What the student's code prints goes
to /dev/null: the grader reads no word of it, and feedback that showed it would show the student the hidden
tests' inputs. `kill` removes the worker and everything its uid left, then frees the uid and tmp dir.

bubblewrap's --die-with-parent ties a worker's life to the thread that started it: start workers from a
thread that outlives them (pytest's main thread does).
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

from autograder import scratch
from autograder.sandbox import inside as wire
from autograder.sandbox import isolation, launch
from autograder.sandbox.launch import environment  # noqa: F401 - part of this module's API

WORKER_SOURCE = Path(wire.__file__).read_text(encoding="utf-8")
#: Largest JSON part of a reply; the npy payload is capped by `Limits.answer_mb`.
HEADER_CAP = 32 << 20


class SandboxError(RuntimeError):
    """The grader could not start a worker (a grader problem, not the student's)."""


class TooLarge(Exception):
    """A reply frame announced more bytes than the limits allow; it is not read."""


class TimedOut(Exception):
    """The deadline passed before the reply came; the worker is still running."""


class Died(Exception):
    """The worker exited (`code` as from Popen.returncode) or closed its pipe (`code` None) without a reply."""

    def __init__(self, code: int | None):
        super().__init__(code)
        self.code = code


def _tree(root: int) -> set[int]:
    """`root` and its descendants, read from each thread's /proc children list (no scan of all of /proc)."""
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in tree:
            continue
        tree.add(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                    todo += [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
    return tree


def runnable_wait_s(root: int) -> float:
    """Seconds the threads of `root` and of its descendants have spent runnable but waiting for a CPU.

    Read from each thread's /proc schedstat (its second field, nanoseconds on a run queue); 0 where the
    kernel does not keep it. A worker that waited for a CPU most of the time its call took was starved by
    other processes, whatever its code does; one that slept or computed was not.
    """
    total = 0
    for pid in _tree(root):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as handle:
                    total += int(handle.read().split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return total / 1e9


class RemoteProcess:
    """A process this one did not start (a lane's box, started by the batch), watched through a pidfd: the
    part of `subprocess.Popen` a `WorkerProcess` uses. Its exit code is not known here: `poll` gives -9 once
    it has ended, `wait` None."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self._pidfd is not None and select.select([self._pidfd], [], [], 0)[0]:
            os.close(self._pidfd)
            self._pidfd, self.returncode = None, -9
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self._pidfd is not None and not select.select([self._pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired("lane", timeout)
        self.poll()
        return None

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def kill(self) -> None:
        try:
            os.kill(self.pid, 9)
        except OSError:
            pass
        if self._pidfd is not None:
            select.select([self._pidfd], [], [], 5.0)
            self.poll()


class WorkerProcess:
    """One worker process that imported (or is about to import) one student module."""

    def __init__(self, submission_dir: Path, module: str, limits, *, mode: str, use_uid: bool, keras: bool,
                 hidden_modules: tuple[str, ...] | list[str] = (), zygote: bool = False, lane: bool = False):
        """Start the worker for `module`; `mode` is "bwrap", "uid" or "process"; `limits` a `Limits`;
        `hidden_modules` are packages the worker's file view leaves out (bwrap mode only). A `zygote`
        worker imports no module itself: `fork_child` makes a fresh child that answers the requests
        until `end_child`. A `lane` (bwrap mode only) serves one student after another from
        `submission_dir`, each with a zygote of its own (see `autograder.sandbox.lane`)."""
        if lane and mode != "bwrap":
            raise ValueError(f"a lane needs bubblewrap's namespaces (mode 'bwrap'), got mode {mode!r}")
        self.module, self.limits, self.keras, self.mode = module, limits, keras, mode
        self.zygote, self.child, self.lane = zygote or lane, False, lane
        self.hidden_modules = tuple(hidden_modules)
        self.tmp = None if mode == "bwrap" else str(scratch.make("worker"))
        request_r, self.request_w = os.pipe()
        self.reply_r, reply_w = os.pipe()
        for fd in (self.request_w, reply_w):
            try:  # Larger pipes move big arrays with fewer wake-ups (64 KiB is the default).
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (AttributeError, OSError):
                pass
        # The children of a zygote start from an empty tmp dir, and under bubblewrap an empty /dev/shm. "box": the
        # zygote is the init of the sandbox's own PID and IPC namespaces, so it may kill every other process
        # and remove every System V IPC object in them; "sysv": its uid is leased to this worker alone.
        wipe = os.pathsep.join(["/tmp", "/dev/shm", "box"] if mode == "bwrap" else
                               [self.tmp, *["sysv"] * use_uid]) if self.zygote else "-"
        kind = "lane" if lane else "zygote" if zygote else "single"
        argv = isolation.python_argv(WORKER_SOURCE, request_r, reply_w, kind, wipe)
        self.box = None
        try:
            # A numpy worker's file view holds numpy and nothing else from any site folder; a Keras worker
            # still sees the interpreter's site folders (TensorFlow's dependencies are many). A zygote as the
            # PID namespace's init cannot be killed from inside, and without /proc its workers cannot read
            # its record.
            memory = (limits.memory_mb + limits.tmp_mb) << 20
            self.box = launch.launch(argv, submission_dir, limits, memory_bytes=memory,
                                     namespaces=mode == "bwrap", use_uid=use_uid, home=self.tmp,
                                     hidden_modules=hidden_modules, allowed_packages=None if keras else ("numpy",),
                                     as_pid_1=self.zygote, proc=not self.zygote, nproc=limits.nproc,
                                     prepare=lambda uid: self._hand_over(submission_dir, uid),
                                     pass_fds=(request_r, reply_w))
        except BaseException as error:
            for fd in (self.request_w, self.reply_r):
                os.close(fd)
            self._release()
            if isinstance(error, OSError):
                raise SandboxError(f"cannot start the sandbox worker ({mode} mode): {error}") from None
            raise
        finally:
            for fd in (request_r, reply_w):
                os.close(fd)
        self._connect(self.box.proc)

    def _connect(self, proc) -> None:
        self.proc = proc
        os.set_blocking(self.request_w, False)
        os.set_blocking(self.reply_r, False)
        try:
            self.pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.head, self.body, self.filled, self.text_size = bytearray(), None, 0, 0
        self.eof = False
        self.seccomp = False

    @classmethod
    def attached(cls, request_w: int, reply_r: int, pid: int, limits, hidden_modules: tuple[str, ...]) -> WorkerProcess:
        """The trusted end of a lane that another process (the batch) started: its pipes and its pid. Killing
        it kills the lane's whole box; the process that started the lane then starts a new one."""
        worker = cls.__new__(cls)
        worker.module, worker.limits, worker.keras, worker.mode = "", limits, False, "bwrap"
        worker.zygote, worker.child, worker.lane = True, False, True
        worker.hidden_modules, worker.tmp, worker.box = tuple(hidden_modules), None, None
        worker.request_w, worker.reply_r = request_w, reply_r
        worker._connect(RemoteProcess(pid))
        worker.seccomp = True  # The lane's starter checked its filter when it started.
        return worker

    def wait_ready(self, timeout: float) -> None:
        """Wait for the worker's first frame (it imported numpy); raise `SandboxError` if it never comes."""
        try:
            header, _ = self._receive(time.monotonic() + timeout)
            if header.get("op") == "ready":
                self.seccomp = header.get("seccomp") is True  # Its filter installed before any student code.
                return
        except (TimedOut, Died, wire.WireError):
            pass
        raise SandboxError(f"the sandbox worker for {self.module} did not start ({self.mode} mode)")

    def request(self, header: dict, blobs: list, timeout: float) -> tuple[dict, list]:
        """Send one request and wait for its reply; raises TimedOut (with `waited_share`, the share of the
        call's time the worker spent waiting for a CPU), Died or WireError."""
        started, waited = time.monotonic(), runnable_wait_s(self.proc.pid)
        try:
            return self._request(header, blobs, started + timeout)
        except TimedOut as error:
            seconds = max(time.monotonic() - started, 1e-3)
            error.waited_share = (runnable_wait_s(self.proc.pid) - waited) / seconds
            raise

    def fork_child(self) -> None:
        """Take the zygote's fresh child (it forks one as soon as the last has ended, and it waits for its first
        request); the requests that follow go to it."""
        if not self.zygote or self.child:
            raise SandboxError("fork_child needs a zygote worker without a child")
        self.child = True

    def end_child(self, timeout: float = 5.0) -> None:
        """End the current child and wait until the zygote reports it gone (raises TimedOut, Died, WireError)."""
        if self.child:
            self._end("exit", "child_exit", timeout)

    def _end(self, op: str, done: str, timeout: float) -> None:
        """Send `op` and read frames until the one named `done` (what comes before it is a child's end or a
        late answer, of no use now); then no child serves the requests."""
        deadline = time.monotonic() + timeout
        self._send({"op": op}, [], deadline)
        while self._receive(deadline)[0].get("op") != done:
            pass
        self.child = False

    def _send(self, header: dict, blobs: list, deadline: float) -> None:
        for buffer in wire.frame_bytes(header, blobs):
            view = memoryview(buffer)
            while view:
                if self._wait(self.request_w, deadline) == "exited":
                    raise Died(self.proc.wait())
                try:
                    view = view[os.write(self.request_w, view[:1 << 20]):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise Died(self._exit_code(deadline)) from None

    def _request(self, header: dict, blobs: list, deadline: float) -> tuple[dict, list]:
        header["id"] = os.urandom(8).hex()
        self._send(header, blobs, deadline)
        reply, reply_blobs = self._receive(deadline)
        if reply.get("op") == "child_exit":
            self.child = False
            code = reply.get("code")
            raise Died(code if type(code) is int else None)
        if reply.get("id") != header["id"]:
            raise wire.WireError("a reply to another request")
        return reply, reply_blobs

    def _wait(self, fd: int, deadline: float, read: bool = False) -> str:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut
        watch = [self.pidfd] if self.pidfd is not None else []
        readable, writable, _ = select.select(watch + ([fd] if read else []), [] if read else [fd], [],
                                              remaining if self.pidfd is not None else min(remaining, 0.05))
        if self.pidfd in readable or (self.pidfd is None and self.proc.poll() is not None):
            return "exited"
        return "ready" if readable or writable else "idle"

    def _exit_code(self, deadline: float) -> int | None:
        try:
            return self.proc.wait(timeout=max(0.1, min(2.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            return None

    def _read_available(self) -> None:
        """Read what the pipe holds: a frame's 16-byte head first, then its body straight into a buffer of
        the announced size. A frame announcing more than the caps is refused after its head, before any of
        the rest is read, and a frame within them costs its size once (no growing buffer, no copy)."""
        while not self.eof:
            try:
                if self.body is None:
                    chunk = os.read(self.reply_r, wire.HEAD.size - len(self.head))
                    self.eof = not chunk
                    self.head += chunk
                    if len(self.head) == wire.HEAD.size:
                        text_size, payload_size = wire.HEAD.unpack_from(self.head)
                        if text_size > HEADER_CAP or payload_size > self.limits.answer_mb << 20:
                            raise TooLarge
                        self.body, self.filled = bytearray(text_size + payload_size), 0
                        self.text_size = text_size
                elif self.filled == len(self.body):
                    return
                else:
                    read = os.readv(self.reply_r, [memoryview(self.body)[self.filled:self.filled + (1 << 20)]])
                    self.eof = read == 0
                    self.filled += read
            except BlockingIOError:
                return

    def _frame(self) -> tuple[dict, list] | None:
        if self.body is None or self.filled < len(self.body):
            return None
        body, text_size = memoryview(self.body), self.text_size
        self.head, self.body = bytearray(), None
        return wire.split_frame(body[:text_size], body[text_size:])

    def _receive(self, deadline: float) -> tuple[dict, list]:
        while True:
            frame = self._frame()
            if frame is not None:
                return frame
            if self.eof:
                raise Died(self._exit_code(deadline))
            state = self._wait(self.reply_r, deadline, read=True)
            self._read_available()
            if state == "exited":
                frame = self._frame()
                if frame is not None:
                    return frame
                raise Died(self.proc.wait())

    @property
    def cgroup(self) -> isolation.WorkerCgroup | None:
        """The worker's control group (None without the layer, and once released)."""
        return self.box.cgroup if self.box is not None else None

    @property
    def lease(self) -> isolation.UidLease | None:
        """The worker's uid lease (None without the layer, and once released)."""
        return self.box.lease if self.box is not None else None

    def _hand_over(self, submission_dir: Path, uid: int | None) -> None:
        """Give the leased uid its tmp dir, and make the submission readable by it alone."""
        if uid is None:
            return
        if self.tmp:
            os.chown(self.tmp, uid, uid)
        # Without bubblewrap's file view a concurrent worker of another student would otherwise read (and copy) it.
        isolation.private_to_group(submission_dir, uid)

    def begin_student(self, timeout: float = 5.0) -> None:
        """Have a lane fork the zygote of the student whose files are now in its folder (raises Died,
        WireError, TimedOut); the zygote forks its first child at once."""
        self._send({"op": "student"}, [], time.monotonic() + timeout)

    def end_student(self, timeout: float = 5.0) -> None:
        """End the current student's zygote and wait until the lane reports its box clean (raises Died,
        WireError, TimedOut)."""
        self._end("student_end", "student_done", timeout)

    def ping(self, timeout: float = 5.0) -> bool:
        """Whether an idle lane answers (it then serves no student and holds no partial frame)."""
        deadline = time.monotonic() + timeout
        try:
            self._send({"op": "ping"}, [], deadline)
            return self._receive(deadline)[0].get("op") == "pong"
        except (TimedOut, Died, wire.WireError, TooLarge, OSError):
            return False

    def detach(self) -> None:
        """Close this side's descriptors of an attached lane, leaving the lane running."""
        for fd in (self.request_w, self.reply_r, self.pidfd):
            if fd is not None:
                os.close(fd)
        self.request_w = self.reply_r = self.pidfd = None
        self.proc.close()

    def kill(self) -> None:
        """Kill the worker and everything it started, then free its uid, pipes and tmp dir."""
        if self.box is None:  # An attached lane: its starter frees what it took.
            self.proc.kill()
            self.detach()
            return
        self.box.kill()
        self._release()
        for fd in (self.request_w, self.reply_r, self.pidfd):
            if fd is not None:
                os.close(fd)

    def _release(self) -> None:
        if self.box is not None:
            self.box.release()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
