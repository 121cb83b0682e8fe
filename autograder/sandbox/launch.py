"""One way to start a sandboxed process tree and one way to end it: `launch` applies `LAYERS` in order.

Both callers go through it: the sandbox worker (`autograder.sandbox.process`) and Otter's cross-check run
(`autograder.otter.sandboxed`). Like isolate's ``box_inside()``, the layers are one ordered list of steps,
each given the `Box` being built; a new layer is one more step in `LAYERS`:

1. ``lease_uid``: an unprivileged uid of its own (``use_uid``).
2. ``make_cgroup``: a control group bounding memory (``memory_bytes``) and processes (``limits.nproc``).
3. ``hand_over``: the caller's ``prepare(uid)``, which gives the uid the files it must own or read.
4. ``confine``: bubblewrap's namespaces and file view (``namespaces``), else ``setpriv`` to the uid.
5. ``limit``: resource limits, after moving the child into its control group (before exec).
6. ``scrub_environment``: an environment built from scratch, nothing of the grader's passed on.
7. ``new_session``: a session and process group of its own, so that `Box.kill` reaches the whole tree.

`Box.kill` SIGKILLs the process group, every process of the uid and every member of the control group, then
reaps the process; `Box.release` removes the control group, what the uid left in the shared tmp folders
(without namespaces) and frees the uid. A failure in any step releases what the steps before it took.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.sandbox import isolation

if TYPE_CHECKING:
    from autograder.sandbox import Limits

#: HOME and TMPDIR inside bubblewrap's namespaces: the sandbox's private, size-limited /tmp.
BOX_TMP = "/tmp"


def environment(home: str) -> dict[str, str]:
    """The sandboxed process's whole environment: nothing of the grader's is passed on."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg", "CUDA_VISIBLE_DEVICES": "",
           "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "2", "TF_CPP_MIN_LOG_LEVEL": "2",
           # The worker's seccomp filter refuses file locks; HDF5 (h5py, Keras weights files) then skips them.
           "HDF5_USE_FILE_LOCKING": "FALSE"}
    return env | {f"{name}_NUM_THREADS": "1" for name in ("OMP", "OPENBLAS", "MKL")}


@dataclasses.dataclass
class Box:
    """One sandboxed process tree: what the caller asked for, what the layers took and built, the process.

    The layers fill `uid`/`lease`, `cgroup`, `argv`, `env`, `preexec` and `popen`; `launch` then starts
    `proc` from them. `kill` and `release` are the only ways the tree ends.
    """

    argv: list[str]
    folder: Path
    limits: Limits
    memory_bytes: int
    namespaces: bool
    use_uid: bool
    home: str | None
    writable: bool = False
    files: dict[str, Path] | None = None
    hidden_modules: tuple[str, ...] = ()
    allowed_packages: tuple[str, ...] | None = None
    as_pid_1: bool = False
    proc_fs: bool = True
    nproc: int | None = None
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    prepare: Callable[[int | None], None] | None = None
    popen: dict = dataclasses.field(default_factory=dict)
    lease: isolation.UidLease | None = None
    cgroup: isolation.WorkerCgroup | None = None
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    preexec: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    proc: subprocess.Popen | None = None

    @property
    def uid(self) -> int | None:
        return self.lease.uid if self.lease else None

    def kill(self) -> None:
        """SIGKILL the whole tree (process group, the uid's processes, the control group's members); reap it."""
        if self.proc is None:
            return
        for kill in (lambda: os.killpg(self.proc.pid, signal.SIGKILL), self.proc.kill):
            with contextlib.suppress(OSError):
                kill()
        if self.uid is not None:
            isolation.kill_uid(self.uid)
        for pid in self.cgroup.pids() if self.cgroup is not None else ():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def release(self) -> None:
        """Remove the control group (killing what is left in it), the uid's processes and files, free the uid."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.lease:
            isolation.kill_uid(self.lease.uid)
            if not self.namespaces:  # Under bubblewrap /tmp and /dev/shm were private and are gone.
                isolation.remove_files_of(self.lease.uid)
            self.lease.release()
            self.lease = None


def lease_uid(box: Box) -> None:
    if box.use_uid:
        box.lease = isolation.lease_uid()


def make_cgroup(box: Box) -> None:
    if isolation.cgroup_usable():
        box.cgroup = isolation.WorkerCgroup(box.memory_bytes, box.limits.nproc)


def hand_over(box: Box) -> None:
    if box.prepare is not None:
        box.prepare(box.uid)


def confine(box: Box) -> None:
    if box.namespaces:
        box.argv = isolation.bwrap_command(box.folder, box.argv, uid=box.uid, tmp_mb=box.limits.tmp_mb,
                                           writable=box.writable, files=box.files,
                                           hidden_modules=box.hidden_modules,
                                           allowed_packages=box.allowed_packages, as_pid_1=box.as_pid_1,
                                           proc=box.proc_fs, nproc=box.nproc)
    elif box.uid is not None:
        box.argv = [*isolation.setpriv(box.uid), *box.argv]
    box.popen["cwd"] = None if box.namespaces else box.folder


def limit(box: Box) -> None:
    box.preexec.append(isolation.rlimit_setter(box.limits, nproc=box.uid is not None, cgroup=box.cgroup))


def scrub_environment(box: Box) -> None:
    box.env = environment(BOX_TMP if box.namespaces else box.home) | box.extra_env


def new_session(box: Box) -> None:
    box.popen["start_new_session"] = True


#: The layers, in the order they are applied (see the module docstring).
LAYERS: list[Callable[[Box], None]] = [lease_uid, make_cgroup, hand_over, confine, limit, scrub_environment,
                                       new_session]


def launch(argv: list[str], folder: Path, limits: Limits, *, memory_bytes: int, namespaces: bool, use_uid: bool,
           home: str | None = None, writable: bool = False, files: dict[str, Path] | None = None,
           hidden_modules=(), allowed_packages=None, as_pid_1: bool = False, proc: bool = True,
           nproc: int | None = None, env: dict[str, str] | None = None,
           prepare: Callable[[int | None], None] | None = None, stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL, pass_fds: tuple[int, ...] = ()) -> Box:
    """Start `argv` with every layer of `LAYERS`; the returned `Box` holds the process (`proc`) and its end.

    `folder` is the process's working folder (bubblewrap's `SUBMISSION_MOUNT`, read-only unless `writable`;
    `files`, `hidden_modules`, `allowed_packages`, `as_pid_1`, `proc` and `nproc` are `bwrap_command`'s);
    `home` its HOME and TMPDIR outside the namespaces (inside them the private `BOX_TMP`); `env` is added to
    the scrubbed environment; `memory_bytes` bounds its control group; `limits` is a `Limits`. `prepare(uid)`
    runs once the uid is leased (None without one), before the process starts. Raises OSError when the
    process cannot start, after releasing what the layers took.
    """
    if not argv or not all(isinstance(word, str) for word in argv):
        raise ValueError(f"argv must be a non-empty list of strings, got {argv!r}")
    if memory_bytes <= 0:
        raise ValueError(f"memory_bytes must be positive, got {memory_bytes}")
    if not namespaces and home is None:
        raise ValueError("home is required without namespaces (the process's HOME and TMPDIR)")
    box = Box(list(argv), Path(folder), limits, memory_bytes, namespaces, use_uid, home, writable, files,
              tuple(hidden_modules), None if allowed_packages is None else tuple(allowed_packages), as_pid_1,
              proc, nproc, dict(env or {}), prepare)
    try:
        for layer in LAYERS:
            layer(box)
        preexec = list(box.preexec)
        box.proc = subprocess.Popen(box.argv, env=box.env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                    pass_fds=pass_fds, preexec_fn=lambda: [step() for step in preexec],
                                    **box.popen)
    except BaseException:
        box.release()
        raise
    return box
