"""Isolation layers of the sandbox: what this machine offers, and the command that starts a worker.

Layers, weakest first (a worker reports the ones actually active):

- ``process``, ``rlimits``, ``scrubbed-env``, ``wall-timeout``: always. A separate process with resource
  limits (address space, CPU seconds, file size, no core dumps, open files), an environment built from
  scratch, and a wall clock enforced by the trusted process, which SIGKILLs the worker.
- ``seccomp``: on x86_64 and aarch64, in every mode, the worker installs a system-call filter
  (`inside.install_seccomp`, with PR_SET_NO_NEW_PRIVS) before any student code runs, and every process
  it starts inherits it: file locks (flock, fcntl locks and leases), inotify and fanotify, keyrings and
  SysV IPC fail, so two boxes or two tests of one box cannot meet through a file both see, the uid's
  keyrings (which outlive the worker and pass to the next worker of that uid) or a message queue; so do
  io_uring (its operations never pass a filter), ptrace and process_vm_readv (in ``process`` mode the
  grader's own memory), new namespaces, and kernel administration. `seccomp_usable` runs the filter and
  checks what each call returns.
- ``cgroup``: when the grader runs as root on a machine whose cgroup tree it may write (v2, or v1's memory,
  pids and cpu hierarchies), each worker gets a group of its own: its memory counts shared memory and tmpfs
  pages that RLIMIT_AS does not, its processes are counted and all killed with it, and it competes for the
  CPU as one group, however many processes it forks.
- ``uid``: when the grader runs as root, each worker runs as its own unprivileged uid from
  ``UID_BASE`` .. ``UID_BASE + UID_COUNT - 1`` (a lock file per uid keeps concurrent workers, even of other
  grader processes, apart). RLIMIT_NPROC then bounds its processes and threads, it cannot signal the
  grader, and `kill_uid` removes everything it left behind.
- ``namespaces``: bubblewrap (Debian package ``bubblewrap``): no network, a private PID tree that dies with
  the worker, a read-only view of ``/usr`` and the interpreter only, the submission at ``/submission``
  (read-only) and a size-limited private ``/tmp``. As an ordinary user the worker also gets a user namespace
  in which it may make no other, and its process limit counted inside that namespace.

Pitfalls measured on the target machine: the interpreter must be readable by the sandbox uid (a Python
under a 0700 ``/root`` is not, unless bubblewrap binds it); ``bwrap --unshare-all`` adds a user namespace
in which switching to the sandbox uid fails, hence the explicit ``--unshare-*`` flags; every ancestor of
a bound path must be created with ``--perms 0755 --dir`` or the uid cannot traverse it.
"""

from __future__ import annotations

import errno
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
import time
from pathlib import Path

from autograder import scratch
from autograder.sandbox import inside

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
        fd = _try_lock(folder, uid)
        if fd is None:
            continue
        kill_uid(uid)
        return UidLease(uid, fd)
    raise IsolationError(f"all {UID_COUNT} sandbox uids from {UID_BASE} are in use; lower --jobs")


def _try_lock(folder: Path, uid: int) -> int | None:
    """An open descriptor holding `uid`'s lease lock, or None when a live lease (another worker) holds it."""
    fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


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


#: Shared writable folders where a sandbox uid without a private /tmp can leave files behind.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_TMP) -> int:
    """Delete what `uid` left at the top of the shared tmp folders, and its SysV shared memory; returns the
    number of entries removed. (A private /tmp under bubblewrap makes this unnecessary there.)"""
    removed = 0
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    return removed + _remove_sysv_shm_of(uid)


def _remove_sysv_shm_of(uid: int) -> int:
    """Remove the SysV shared-memory segments `uid` created (memory RLIMIT_AS does not count)."""
    try:
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return 0
    ids = [fields[1] for fields in (line.split() for line in lines) if len(fields) > 7 and fields[7] == str(uid)]
    if ids and shutil.which("ipcrm"):
        subprocess.run(["ipcrm", *itertools.chain.from_iterable(("-m", shm) for shm in ids)],
                       capture_output=True, check=False)
    return len(ids)


def _uids_of_processes() -> set[int]:
    uids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                uids.add(entry.stat().st_uid)
            except OSError:
                continue
    return uids


def sweep_free_uids() -> list[int]:
    """Kill the processes and remove the files of every sandbox uid that no live worker holds.

    A grading process killed at its deadline never runs its workers' clean-up; in uid mode (no PID
    namespace) their processes would live on. The batch calls this after every grading process ends: a uid
    whose lease is free is not in use by anyone, so whatever still runs as it is left over. Returns the uids
    cleaned."""
    folder = _lock_dir()
    running = _uids_of_processes()
    owners = set()
    for shared in SHARED_TMP:
        try:
            owners |= {entry.stat(follow_symlinks=False).st_uid for entry in os.scandir(shared)}
        except OSError:
            continue
    cleaned = []
    for uid in sorted((running | owners) & set(range(UID_BASE, UID_BASE + UID_COUNT))):
        fd = _try_lock(folder, uid)
        if fd is None:
            continue
        try:
            kill_uid(uid)
            remove_files_of(uid)
            cleaned.append(uid)
        finally:
            os.close(fd)
    return cleaned


def private_to_group(folder: Path, gid: int) -> None:
    """Make `folder` and everything in it readable by group `gid` only (0750 folders, 0640 files), owner
    kept: without bubblewrap a worker running as uid = gid = `gid` reads its own submission, and a concurrent
    worker of another student (another uid) reads nothing of it."""
    for root, _dirs, files in os.walk(folder):
        os.chown(root, -1, gid, follow_symlinks=False)
        os.chmod(root, 0o750)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chown(path, -1, gid)
                os.chmod(path, 0o640)


def close_to_others(paths) -> list[str]:
    """Remove every permission of "others" from `paths` (recursively), the owner and group keeping theirs;
    returns the paths changed. Without bubblewrap's file view this is what keeps a sandbox uid from
    reading the kit's reference solutions, its hidden tests and the grader's outputs."""
    changed = []
    for top in paths:
        top = Path(top)
        if not top.exists() or top.is_symlink():
            continue
        for root, _dirs, files in os.walk(top):
            for path in [root, *(os.path.join(root, name) for name in files)]:
                if os.path.islink(path):
                    continue
                mode = os.stat(path).st_mode
                if mode & 0o007:
                    os.chmod(path, mode & ~0o007 & 0o7777)
        changed.append(str(top))
    return changed


CGROUP_ROOT = Path("/sys/fs/cgroup")
#: cgroup v1 hierarchies a worker gets a group in (memory counts shared memory and tmpfs pages too).
CGROUP_V1 = ("memory", "pids", "cpu")
CGROUP_PREFIX = "convkit-"


class WorkerCgroup:
    """A worker's own control group: memory (shared memory and tmpfs pages included), a process count and
    an equal CPU share, whatever the worker forks. cgroup v2 when the machine has it, else v1's memory, pids
    and cpu hierarchies. `attach` runs in the worker before exec; `remove` kills everything in the group.
    The group's name holds the grader's pid, so `sweep_cgroups` can remove what a killed grader left."""

    def __init__(self, memory_bytes: int, pids: int):
        if memory_bytes <= 0 or pids <= 0:
            raise ValueError(f"memory_bytes and pids must be positive, got {memory_bytes}, {pids}")
        self.name = f"{CGROUP_PREFIX}{os.getpid()}-{next(_counter)}"
        self.paths = [folder / self.name for folder in _cgroup_parents()]
        for path in self.paths:
            path.mkdir()
        for path in self.paths:
            limits = ({"memory.max": memory_bytes, "pids.max": pids, "memory.swap.max": 0} if _cgroup_v2() else
                      {"memory.limit_in_bytes": memory_bytes, "pids.max": pids})
            for name, value in limits.items():
                if (path / name).exists():
                    (path / name).write_text(str(value))
        self._procs = [str(path / "cgroup.procs") for path in self.paths]

    def attach(self) -> None:
        """Move the calling process into the group (called in the worker, before exec)."""
        pid = str(os.getpid())
        for procs in self._procs:
            with open(procs, "w") as handle:
                handle.write(pid)

    def pids(self) -> set[int]:
        found = set()
        for procs in self._procs:
            try:
                found |= {int(pid) for pid in Path(procs).read_text().split()}
            except (OSError, ValueError):
                continue
        return found

    def remove(self) -> None:
        """SIGKILL every process in the group, then remove the group."""
        _remove_cgroup(self.paths)


def _remove_cgroup(paths) -> None:
    for _ in range(50):
        alive = set()
        for path in paths:
            try:
                alive |= {int(pid) for pid in (path / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                continue
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    for path in paths:
        try:
            path.rmdir()
        except OSError:
            pass


@functools.cache
def _cgroup_v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def _cgroup_parents() -> list[Path]:
    if _cgroup_v2():
        return [CGROUP_ROOT]
    return [CGROUP_ROOT / name for name in CGROUP_V1]


@functools.cache
def cgroup_usable() -> bool:
    """Whether this process may give each worker a control group (root, and a cgroup tree it can write);
    checked once, by creating one, moving a process into it and removing it."""
    if not is_root():
        return False
    try:
        if _cgroup_v2():
            controllers = set((CGROUP_ROOT / "cgroup.controllers").read_text().split())
            if not {"memory", "pids"} <= controllers:
                return False
            (CGROUP_ROOT / "cgroup.subtree_control").write_text("+memory +pids")
        group = WorkerCgroup(64 << 20, 8)
    except (OSError, ValueError):
        return False
    try:
        done = subprocess.run(["/bin/true"], preexec_fn=group.attach, capture_output=True, timeout=30)
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        group.remove()


def sweep_cgroups() -> list[str]:
    """Remove the worker groups of graders that are gone (killed at a deadline), killing what runs in them."""
    removed = []
    for parent in _cgroup_parents() if cgroup_usable() else []:
        for path in parent.glob(f"{CGROUP_PREFIX}*"):
            owner = path.name.removeprefix(CGROUP_PREFIX).split("-")[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _remove_cgroup([path])
                removed.append(str(path))
    return removed


def rlimit_setter(limits, *, nproc: bool, cgroup: WorkerCgroup | None = None):
    """A preexec function applying `limits` (an `autograder.sandbox.Limits`) to the child before exec, after
    moving it into `cgroup` when one is given."""
    mb = 1 << 20
    cpu = int(limits.effective_cpu_s())
    values = [(resource.RLIMIT_AS, limits.memory_mb * mb), (resource.RLIMIT_CPU, (cpu, cpu + 5)),
              (resource.RLIMIT_FSIZE, limits.file_size_mb * mb), (resource.RLIMIT_CORE, 0),
              (resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_MEMLOCK, 0), (resource.RLIMIT_MSGQUEUE, 0)]
    if nproc:
        values.append((resource.RLIMIT_NPROC, limits.nproc))

    def apply() -> None:
        if cgroup is not None:
            cgroup.attach()
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
                  allowed_packages: tuple[str, ...] | list[str] | None = None, as_pid_1: bool = False,
                  proc: bool = True, nproc: int | None = None) -> list[str]:
    """The bubblewrap command running `python_argv` as `uid` (root only) with the layers listed above.

    Without `proc` the sandbox has no /proc: nothing in it can read another of its processes' records (a
    zygote's, which would add up what the workers before did).

    Without `uid` (an ordinary user) the worker gets a user namespace of its own, in which it may not make
    another (`--disable-userns`, where bubblewrap has it), and `nproc` caps its processes and threads there:
    RLIMIT_NPROC set inside that namespace counts only the namespace's processes, whereas set before
    bubblewrap it would count every process of the grader's user. (With `uid`, `rlimit_setter` caps them.)

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
    args = ["bwrap", *_system_links(), *["--proc", "/proc"] * proc, "--dev", "/dev", "--size", str(tmp_mb << 20),
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
             "--die-with-parent", "--new-session"] + (["--as-pid-1"] if as_pid_1 else [])
    if uid is None:
        cap = ["prlimit", f"--nproc={nproc}", "--"] if nproc and shutil.which("prlimit") else []
        return args + ["--unshare-user", *_disable_userns(), "--", *cap, *python_argv]
    return args + ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", *setpriv(uid), *python_argv]


@functools.cache
def _disable_userns() -> list[str]:
    """bubblewrap's ``--disable-userns`` (0.8.0 on), or nothing where this bubblewrap lacks it."""
    try:
        done = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return ["--disable-userns"] if "--disable-userns" in done.stdout + done.stderr else []


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
    with scratch.folder("probe") as folder:
        os.chmod(folder, 0o755)
        lease = lease_uid() if is_root() else None
        try:
            argv = [sys.executable, "-s", "-c", PROBE % is_root()]
            return _probe(bwrap_command(folder, argv, uid=lease and lease.uid, tmp_mb=1), str(folder))
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


#: The calls the seccomp probe makes: (name in `inside.SYSCALLS`, arguments, errno the filter gives; the
#: allowed F_GETFD keeps its EBADF). Without the filter each fails with another errno (EBADF, EFAULT, EINVAL,
#: EIO) and changes nothing. 0x10000200 is CLONE_NEWUSER | CLONE_FS, a combination the kernel refuses.
SECCOMP_CHECKS = [("flock", (-1, fcntl.LOCK_EX), inside.ENOSYS),
                  *(("fcntl", (-1, command, 0), inside.ENOSYS) for command in inside.LOCK_COMMANDS),
                  ("fcntl", (-1, fcntl.F_GETFD, 0), errno.EBADF), ("add_key", (0, 0, 0, 0, 0), inside.ENOSYS),
                  ("request_key", (0, 0, 0, 0), inside.ENOSYS), ("keyctl", (-1, 0, 0, 0, 0), inside.ENOSYS),
                  ("io_uring_setup", (0, 0), inside.ENOSYS), ("inotify_init1", (-1,), inside.ENOSYS),
                  ("msgctl", (-1, 0, 0), inside.ENOSYS), ("ptrace", (-1, -1, 0, 0), inside.ENOSYS),
                  ("process_vm_readv", (-1, 0, 0, 0, 0, 1), inside.ENOSYS),
                  ("perf_event_open", (0, 0, -1, -1, 0), inside.ENOSYS), ("bpf", (-1, 0, 0), inside.ENOSYS),
                  ("unshare", (0x10000200,), inside.ENOSYS), ("clone3", (0, 0), inside.ENOSYS),
                  ("clone", (0x10000200, 0, 0, 0, 0), inside.EPERM)]
SECCOMP_PROBE = """
import ctypes, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("convkit_inside", sys.argv[1])
inside = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inside)
installed = {install}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
column = inside.SECCOMP_ARCHES[os.uname().machine][1]
seen = []
for name, args, _errno in {checks!r}:
    ctypes.set_errno(0)
    done = libc.syscall(ctypes.c_long(inside.SYSCALLS[name][column]), *map(ctypes.c_long, args))
    seen.append(ctypes.get_errno() if done == -1 else 0)
status = open("/proc/self/status").read()
pid = os.fork()
if pid == 0:
    os._exit(3)
forked = os.waitpid(pid, 0)[1] == 3 << 8
wanted = [errno for _name, _args, errno in {checks!r}]
print("ok" if installed is True and seen == wanted and "Seccomp:\\t2" in status and forked else "no")
"""


def seccomp_works(install: str = "inside.install_seccomp()") -> bool:
    """Whether `install` (a Python expression; the worker's program is loaded as `inside`) leaves a process
    in which every call of `SECCOMP_CHECKS` fails with its errno and a fork still runs. The worker's own
    installer and filter are what is checked, in a process of their own."""
    if os.uname().machine not in inside.SECCOMP_ARCHES:
        return False
    source = SECCOMP_PROBE.format(install=install, checks=SECCOMP_CHECKS)
    return _probe([sys.executable, "-s", "-c", source, inside.__file__], "/")


@functools.cache
def seccomp_usable() -> bool:
    """Whether the worker's seccomp filter installs and works here (checked once per process, by running it)."""
    return seccomp_works()


def available_layers() -> list[str]:
    """The layers a worker started now would have (see the module docstring)."""
    extra = (["seccomp"] if seccomp_usable() else []) + (["cgroup"] if cgroup_usable() else [])
    if bwrap_usable():
        return ALWAYS + extra + (["uid", "namespaces"] if is_root() else ["namespaces"])
    if uid_drop_usable():
        return ALWAYS + extra + ["uid"]
    return ALWAYS + extra


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
    "seccomp": "two concurrent workers can signal each other through a lock or an inotify watch on a file "
               "both see (numpy's own files), a key left in the uid's keyring survives the worker and reaches "
               "the next worker of that uid (a later test or student), SysV message queues and semaphores "
               "are shared without namespaces, io_uring is open, and a worker may trace or read the memory "
               "of other processes of its uid (without the uid layer, the grader's)",
    "cgroup": "memory outside the address-space limit (memfd, SysV or POSIX shared memory) is not counted, "
              "and a worker's processes share the CPU with a neighbour's as hundreds of separate processes",
    "uid": "the worker runs as the grader's own user: it can read every file the grader can (the kit's "
           "solutions and hidden tests included), signal the grader, and leave processes behind",
    "namespaces": "no private file view, network, PID tree or /dev/shm: the worker sees the whole disk its "
                  "uid may read (other interpreters' packages, other students' scratch files if readable), "
                  "can open network connections, and can meet concurrent workers through /tmp and /dev/shm",
}
#: What a missing layer allows when the namespaces are there (an ordinary user with bubblewrap; measured, see
#: the README's isolation table).
WITHOUT_IN_NAMESPACES = {
    "cgroup": "the memory limit holds per process, so a worker's processes (up to its process limit) may each "
              "take that much (SysV shared memory and memfd are refused, /tmp and /dev/shm are capped), and they "
              "share the CPU with a neighbour's as separate processes",
    "uid": "the worker runs as the grader's own user, in a user namespace of its own: it sees only the read-only "
           "view (its submission, /usr, the interpreter without the kit), so it reads none of the kit's solutions, "
           "hidden tests or other students' files, signals no process of the grader and leaves nothing running; "
           "a way out of the namespaces (a kernel flaw) would act as the grader's user",
}


def missing_layers(layers) -> list[tuple[str, str]]:
    """Each layer of `WITHOUT` absent from `layers`, with what its absence allows given the layers present."""
    told = WITHOUT_IN_NAMESPACES if "namespaces" in layers else {}
    return [(layer, told.get(layer, allows)) for layer, allows in WITHOUT.items() if layer not in layers]


def check_config(minimum: str = "process") -> tuple[list[str], str]:
    """The start-up self-test (as isolate's ``--check-config``): the layers a worker started now gets and
    a report naming each missing layer and what its absence allows. Raises `IsolationError` (after the
    same checks as `check_minimum`) when the layers fall short of `minimum`."""
    layers = available_layers()
    lines = [f"isolation: {', '.join(layers)}"]
    lines += [f"MISSING {layer}: {allows}" for layer, allows in missing_layers(layers)]
    check_minimum(layers, minimum)
    return layers, "\n".join(lines)
