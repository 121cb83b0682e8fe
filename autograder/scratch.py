"""The kit's folders under the temp folder, each named with its owner, and the sweep of those whose owner is gone.

A batch copies every submission into a scratch folder; a batch killed with SIGKILL (or a machine reset) never
runs its clean-up, and whole submissions would stay behind. So every folder the kit makes there is named

    convkit-<kind>-<pid>.<start>.<pidns>.<boot>-<random>

after the process that made it: its pid, its start time (field 22 of /proc/PID/stat, clock ticks since boot),
the inode of its PID namespace and the first 8 hex digits of the kernel's boot id. `sweep` (run by every batch
at its start) removes such a folder when its owner is gone: another boot, or no process with that pid and start
time (a reused pid has another start time). A folder of another PID namespace is kept (its pids mean nothing
here), and so is every folder without such a name (the kit did not make it, or made it before the names).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PREFIX = "convkit-"
NAME = re.compile(r"convkit-(?P<kind>[a-z]+(?:-[a-z]+)*)-(?P<pid>\d+)\.(?P<start>\d+)\.(?P<ns>\d+)"
                  r"\.(?P<boot>[0-9a-f]{8})-[a-z0-9_]+")
KIND = re.compile(r"[a-z]+(?:-[a-z]+)*")


def start_time(pid: int) -> int | None:
    """The start time of process `pid` (clock ticks after boot), None when no such process exists."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            # Field 2 (the command) may hold spaces and parentheses: count from the last ")".
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _boot_id() -> str:
    with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
        return handle.read().strip().replace("-", "")[:8]


def _pid_namespace() -> int:
    return os.stat("/proc/self/ns/pid").st_ino


def owner_record(pid: int | None = None) -> str | None:
    """`<pid>.<start>.<pidns>.<boot>` of process `pid` (this one by default); None where /proc cannot tell."""
    pid = os.getpid() if pid is None else pid
    try:
        start = start_time(pid)
        return None if start is None else f"{pid}.{start}.{_pid_namespace()}.{_boot_id()}"
    except OSError:
        return None


def make(kind: str, base: str | os.PathLike | None = None) -> Path:
    """A new folder `convkit-<kind>-<owner record>-<random>` (mode 0700) under `base` (the temp folder)."""
    if not KIND.fullmatch(kind):
        raise ValueError(f"kind must be lowercase words joined by '-', got {kind!r}")
    record = owner_record()
    prefix = f"{PREFIX}{kind}-{record}-" if record else f"{PREFIX}{kind}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@contextlib.contextmanager
def folder(kind: str, base: str | os.PathLike | None = None):
    """`make(kind)` as a context manager that removes the folder at its end (as `tempfile.TemporaryDirectory`)."""
    path = make(kind, base)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def owner_alive(name: str) -> bool | None:
    """Whether the owner recorded in folder name `name` may still run; None when `name` records none."""
    match = NAME.fullmatch(name)
    if match is None:
        return None
    try:
        if match["boot"] != _boot_id():
            return False  # A machine reset ended every process of the boot that made it.
        if int(match["ns"]) != _pid_namespace():
            return True  # Its pids name processes of another namespace: cannot tell, so keep it.
    except OSError:
        return True
    return start_time(int(match["pid"])) == int(match["start"])


def _mounts_under(path: str) -> list[str]:
    """Mount points at or under `path` (deepest first), from /proc/self/mountinfo."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    # Field 5 is the mount point, with spaces and backslashes written as octal escapes.
    points = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4]) for line in lines]
    return sorted({p for p in points if p == path or p.startswith(path + "/")}, key=len, reverse=True)


def _unmount_all(path: str) -> bool:
    """Detach every mount under `path` (a tmpfs left by a killed run); True when none is left."""
    for point in _mounts_under(path):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["umount", "-l", point], capture_output=True, timeout=30, check=False)
    return not _mounts_under(path)


def sweep(base: str | os.PathLike | None = None) -> list[str]:
    """Remove the kit's folders under `base` (the temp folder) whose owner is gone; returns their paths.

    Only folders this user owns are removed (any, as root: a worker's tmp dir belongs to its sandbox uid), never
    through a symbolic link, and never one with a mount still under it.
    """
    base = os.fspath(base or tempfile.gettempdir())
    removed = []
    try:
        entries = [entry for entry in os.scandir(base) if entry.name.startswith(PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_dir(follow_symlinks=False) or (os.geteuid() != 0 and info.st_uid != os.geteuid()):
            continue
        if owner_alive(entry.name) is not False or not _unmount_all(entry.path):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(entry.path)
    return removed
