"""Isolation layers of the sandbox: what this machine offers, and the command that starts a worker.

Layers, weakest first (a worker reports the ones actually active):

- ``process``, ``rlimits``, ``scrubbed-env``, ``wall-timeout``: always. A separate process with resource
  limits (address space, CPU seconds, file size, no core dumps, open files), an environment built from
  scratch, and a wall clock enforced by the trusted process, which SIGKILLs the worker.
- ``uid``: when the grader runs as root, each worker runs as its own unprivileged uid from
  ``UID_BASE`` .. ``UID_BASE + UID_COUNT - 1`` (a lock file per uid keeps concurrent workers, even of other
  grader processes, apart). RLIMIT_NPROC then bounds its processes and threads, it cannot signal the
  grader, and `kill_uid` removes everything it left behind.
- ``namespaces``: bubblewrap (Debian package ``bubblewrap``): no network, a private PID tree that dies with
  the worker, a read-only view of ``/usr`` and the interpreter only, the submission at ``/submission``
  (read-only) and a size-limited private ``/tmp``.

Pitfalls measured on the target machine: the interpreter must be readable by the sandbox uid (a Python
under a 0700 ``/root`` is not, unless bubblewrap binds it); ``bwrap --unshare-all`` adds a user namespace
in which switching to the sandbox uid fails, hence the explicit ``--unshare-*`` flags; every ancestor of
a bound path must be created with ``--perms 0755 --dir`` or the uid cannot traverse it.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import itertools
import os
import pwd
import resource
import shutil
import signal
import site
import subprocess
import sys
import tempfile
from pathlib import Path

UID_BASE = 61000
UID_COUNT = 1000
#: Where a worker sees the submission folder (its working directory).
SUBMISSION_MOUNT = "/submission"
ALWAYS = ["process", "rlimits", "scrubbed-env", "wall-timeout"]
#: What each `min_isolation` level requires.
REQUIRED = {"process": [], "uid": ["uid"], "namespaces": ["namespaces"]}
KIT_NAMES = ("solutions", "autograder", "exercises", "tests")
_counter = itertools.count()


class IsolationError(RuntimeError):
    """The machine cannot provide the isolation asked for.

    Cause: bubblewrap is missing or unusable, or the grader is not root, or the interpreter is not
    readable by an unprivileged uid. Remedy: install Debian's ``bubblewrap`` and run as root (for
    ``namespaces``), run as root with a world-readable Python (for ``uid``), or lower ``--min-isolation``.
    """


def is_root() -> bool:
    return os.geteuid() == 0


class UidLease:
    """An unprivileged uid held for one worker; `release` frees it for the next one."""

    def __init__(self, uid: int, lock_fd: int):
        self.uid = uid
        self._fd = lock_fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _lock_dir() -> Path:
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    path = base / "convkit-uids"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_uid != os.geteuid() or path.is_symlink():
        raise IsolationError(f"{path} is not owned by the grader's user; remove it and try again")
    return path


def lease_uid() -> UidLease:
    """Lock a free sandbox uid (one no local account uses) and kill anything a crashed grader left under it."""
    folder = _lock_dir()
    start = (os.getpid() * 37 + next(_counter)) % UID_COUNT
    for step in range(UID_COUNT):
        uid = UID_BASE + (start + step) % UID_COUNT
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        kill_uid(uid)
        return UidLease(uid, fd)
    raise IsolationError(f"all {UID_COUNT} sandbox uids from {UID_BASE} are in use; lower --jobs")


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`: a forked child takes that uid and signals everything it may (-1)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def rlimit_setter(limits, *, nproc: bool):
    """A preexec function applying `limits` (an `autograder.sandbox.Limits`) to the child before exec."""
    mb = 1 << 20
    cpu = int(limits.effective_cpu_s())
    values = [(resource.RLIMIT_AS, limits.memory_mb * mb), (resource.RLIMIT_CPU, (cpu, cpu + 5)),
              (resource.RLIMIT_FSIZE, limits.file_size_mb * mb), (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_MEMLOCK, 0), (resource.RLIMIT_MSGQUEUE, 0)]
    if nproc:
        values.append((resource.RLIMIT_NPROC, limits.nproc))

    def apply() -> None:
        for kind, value in values:
            resource.setrlimit(kind, value if isinstance(value, tuple) else (value, value))
    return apply


def python_roots() -> list[str]:
    """Folders the interpreter needs: its prefix (a venv and its base) and site folders outside them."""
    roots = []
    for prefix in (sys.prefix, sys.base_prefix):
        roots += [prefix, os.path.realpath(prefix)]
    for name in ("numpy", "keras", "tensorflow"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.append(os.path.dirname(os.path.realpath(list(spec.submodule_search_locations)[0])))
    unique: list[str] = []
    for root in sorted(set(roots), key=len):
        if not any(root == kept or root.startswith(kept.rstrip("/") + "/") for kept in ["/usr", *unique]):
            unique.append(root)
    return unique


def extra_paths() -> list[str]:
    """Site folders the worker must add to sys.path itself (its -s/-E start does not find them)."""
    defaults = {os.path.realpath(p) for p in site.getsitepackages()}
    return [root for root in python_roots() if os.path.realpath(root) not in defaults
            and os.path.basename(root) in ("site-packages", "dist-packages")]


def _system_links() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/lib", "/lib64", "/sbin", "/lib32", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    # /etc is created traversable first: a folder bubblewrap makes implicitly is closed to the sandbox uid.
    return args + ["--perms", "0755", "--dir", "/etc", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]


def bwrap_command(submission_dir: Path, python_argv: list[str], *, uid: int | None, tmp_mb: int,
                  writable: bool = False, files: dict[str, Path] | None = None,
                  hidden_modules: tuple[str, ...] | list[str] = (),
                  allowed_packages: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """The bubblewrap command running `python_argv` as `uid` (root only) with the layers listed above.

    With `allowed_packages` (e.g. ``("numpy",)``) the file view is an allowlist: every site folder of the
    interpreter and every other Python's site folder under /usr is replaced by an empty tmpfs, and only the
    named top-level packages (with their ``<name>.libs`` folder of bundled libraries) are bound back in.
    Whatever a module does to its import machinery, a package left out is not on the worker's disk.

    `submission_dir` is seen read-only at `SUBMISSION_MOUNT`, or read-write with `writable`; `files` maps
    more paths inside (e.g. "/etc/hosts") to read-only files outside. The installed packages named in
    `hidden_modules` (e.g. "scipy.signal", "tensorflow") are emptied from the view, so that code inside
    cannot import them whatever it does to its own import machinery.
    """
    # /dev is private (bwrap's minimal devices: null, zero, full, random, urandom, tty); its /dev/shm is a
    # tmpfs of its own capped at `tmp_mb`, so POSIX shared memory neither meets another box nor grows unbounded.
    args = ["bwrap", *_system_links(), "--proc", "/proc", "--dev", "/dev", "--size", str(tmp_mb << 20),
            "--perms", "1777", "--tmpfs", "/tmp", "--size", str(tmp_mb << 20), "--perms", "1777",
            "--tmpfs", "/dev/shm"]
    made = {"/", "/tmp"}
    for root in python_roots():
        parents = [str(p) for p in reversed(Path(root).parents)]
        for parent in parents:
            if parent not in made:
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += ["--ro-bind", root, root]
        inside = [p for p in sys.path if (p == root or p.startswith(root.rstrip("/") + "/")) and os.path.isdir(p)]
        for folder in inside:
            args += [x for name in KIT_NAMES if os.path.isdir(os.path.join(folder, name))
                     for x in ("--tmpfs", os.path.join(folder, name))]
            args += _hiding_args(folder, hidden_modules)
    if allowed_packages is not None:
        args += _allowlist_args(allowed_packages)
    for inside, outside in (files or {}).items():
        args += ["--ro-bind", str(outside), inside]
    mount = "--bind" if writable else "--ro-bind"
    args += [mount, str(submission_dir), SUBMISSION_MOUNT, "--chdir", SUBMISSION_MOUNT,
             "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--hostname", "sandbox",
             "--die-with-parent", "--new-session"]
    if uid is None:
        return args + ["--unshare-user", "--", *python_argv]
    return args + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", *setpriv(uid), *python_argv]


def site_folders() -> list[str]:
    """Every site folder a worker could see: the interpreter's own (sys.path entries named site-packages
    or dist-packages) and those of the other Pythons under /usr (the system interpreter's dist-packages)."""
    import glob
    found = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    for pattern in ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                    "/usr/lib/python3*/*/*-packages"):
        found += glob.glob(pattern)
    unique: list[str] = []
    for path in found:
        if os.path.isdir(path) and not os.path.islink(path) and path not in unique:
            unique.append(path)
    return unique


def _allowlist_args(packages) -> list[str]:
    """bwrap arguments that empty every site folder (`site_folders`) and bind back only `packages`."""
    args = []
    for folder in site_folders():
        args += ["--perms", "0755", "--tmpfs", folder]
        for name in packages:
            for entry in (name, f"{name}.libs"):
                path = os.path.join(folder, entry)
                if os.path.isdir(path):
                    args += ["--ro-bind", path, path]
    return args


def _hiding_args(folder: str, modules) -> list[str]:
    """bwrap arguments that empty the packages `modules` (dotted names) found under the sys.path `folder`:
    an empty tmpfs over a package folder, /dev/null over a single-file module or extension."""
    args = []
    for name in modules:
        path = os.path.join(folder, *name.split("."))
        if os.path.isdir(path):
            args += ["--tmpfs", path]
        parent, last = os.path.split(path)
        if os.path.isdir(parent):
            for entry in sorted(os.listdir(parent)):
                if entry == f"{last}.py" or (entry.startswith(f"{last}.") and entry.endswith(".so")):
                    args += ["--ro-bind", "/dev/null", os.path.join(parent, entry)]
    return args


def setpriv(uid: int) -> list[str]:
    return ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs"]


def python_argv(source: str, *fds: int) -> list[str]:
    """The interpreter command for the worker: no user site, no bytecode writes, no unsafe sys.path entry.

    The environment is built from scratch by the trusted side, so PYTHON* variables are ours (-E not
    needed; PYTHONHASHSEED=0 must reach the worker).
    """
    flags = ["-s", "-B"] + (["-P"] if sys.version_info >= (3, 11) else [])
    return [sys.executable, *flags, "-c", source, *map(str, fds), *extra_paths()]


def _probe(command: list[str], cwd: str | None, **popen) -> bool:
    try:
        done = subprocess.run(command, cwd=cwd, env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"},
                              capture_output=True, timeout=60, **popen)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == b"ok"


PROBE = "import numpy, os; print('ok' if os.getuid() != 0 or not %r else 'root')"


@functools.cache
def bwrap_usable() -> bool:
    """Whether a trivial worker runs under bubblewrap here (checked once per process, by running one)."""
    if not shutil.which("bwrap") or (is_root() and not shutil.which("setpriv")):
        return False
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        lease = lease_uid() if is_root() else None
        try:
            argv = [sys.executable, "-s", "-c", PROBE % is_root()]
            return _probe(bwrap_command(Path(folder), argv, uid=lease and lease.uid, tmp_mb=1), folder)
        finally:
            if lease:
                kill_uid(lease.uid)
                lease.release()


@functools.cache
def uid_drop_usable() -> bool:
    """Whether, without bubblewrap, a worker can run as an unprivileged uid (its Python readable by it)."""
    if not is_root() or not shutil.which("setpriv"):
        return False
    lease = lease_uid()
    try:
        return _probe([*setpriv(lease.uid), sys.executable, "-s", "-c", PROBE % True], "/")
    finally:
        kill_uid(lease.uid)
        lease.release()


def available_layers() -> list[str]:
    """The layers a worker started now would have (see the module docstring)."""
    if bwrap_usable():
        return ALWAYS + (["uid", "namespaces"] if is_root() else ["namespaces"])
    if uid_drop_usable():
        return ALWAYS + ["uid"]
    return list(ALWAYS)


def check_minimum(layers: list[str], minimum: str) -> None:
    """Raise `IsolationError` when `layers` lack what `minimum` ("process", "uid", "namespaces") requires."""
    if minimum not in REQUIRED:
        raise ValueError(f"min_isolation must be one of {sorted(REQUIRED)}, got {minimum!r}")
    missing = [layer for layer in REQUIRED[minimum] if layer not in layers]
    if missing:
        cause = {"uid": "the grader is not root, or no unprivileged uid can run this Python "
                        "(an interpreter under a 0700 home is unreadable to it) and bubblewrap is unusable",
                 "namespaces": "bubblewrap is missing or cannot create namespaces here"}[missing[0]]
        remedy = ("install Debian's `bubblewrap` package and run the grader as root"
                  if missing[0] == "namespaces" else
                  "run the grader as root with bubblewrap installed, or a Python every user can read")
        raise IsolationError(f"isolation {minimum!r} is not available (active: {', '.join(layers)}): "
                             f"{cause}. Remedy: {remedy}, or lower the minimum (--min-isolation).")


#: What a worker can still do when a layer is missing (reported by `check_config`).
WITHOUT = {
    "uid": "the worker runs as the grader's own user: it can read every file the grader can (the kit's "
           "solutions and hidden tests included), signal the grader, and leave processes behind",
    "namespaces": "no private file view, network, PID tree or /dev/shm: the worker sees the whole disk its "
                  "uid may read (other interpreters' packages, other students' scratch files if readable), "
                  "can open network connections, and can meet concurrent workers through /tmp and /dev/shm",
}


def check_config(minimum: str = "process") -> tuple[list[str], str]:
    """The start-up self-test (as isolate's ``--check-config``): the layers a worker started now gets and
    a report naming each missing layer and what its absence allows. Raises `IsolationError` (after the
    same checks as `check_minimum`) when the layers fall short of `minimum`."""
    layers = available_layers()
    lines = [f"isolation: {', '.join(layers)}"]
    lines += [f"MISSING {layer}: {allows}" for layer, allows in WITHOUT.items() if layer not in layers]
    check_minimum(layers, minimum)
    return layers, "\n".join(lines)
