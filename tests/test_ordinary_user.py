"""An ordinary user's sandbox (bubblewrap without root): the holes measured in that mode are closed.

Without root a worker runs as the grader's own user in a user namespace of its own. Measured before (README,
isolation table): RLIMIT_NPROC was left off, since set before bubblewrap it counts every process of the
grader's user, so a module forked 2,000 processes (and could go on to the machine's pid_max); it made a
nested user namespace in which it is root (a tmpfs mounted); and with no cgroup to count them, SysV segments
(3 GB in one test under a 1 GB limit) and memfds (3 GB in one call) held memory RLIMIT_AS does not see.
Now the limit is set inside the namespace, where it counts only the worker's own processes, no nested user
namespace may be made, and a worker without a cgroup gets a seccomp filter that refuses shmget and
memfd_create.

The tests run as root and drop to a sandbox uid before bubblewrap, which is how an ordinary user runs it.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import Limits, Sandbox, StudentException, isolation

pytestmark = pytest.mark.skipif(not isolation.is_root() or not shutil.which("setpriv") or not shutil.which("bwrap"),
                                reason="drops from root to an unprivileged uid before bubblewrap")

FORK_UNTIL_REFUSED = """
import os, time
forked = 0
while forked < 300:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(20)
        os._exit(0)
    forked += 1
print(forked)
"""
NESTED_USER_NAMESPACE = "import ctypes; print(ctypes.CDLL(None, use_errno=True).unshare(0x10000000))"  # CLONE_NEWUSER
#: The errno of SysV shmget, of memfd_create and of shmget by its x32 number (0 where the call succeeds).
MEMORY_PROBE = """
import os
def refusals():
    def errno_of(result):
        return ctypes.get_errno() if result == -1 else 0
    libc = ctypes.CDLL(None, use_errno=True)
    shm = errno_of(libc.shmget(0, ctypes.c_size_t(1 << 20), 0o1600))
    try:
        os.memfd_create("hold")
        memfd = 0
    except OSError as error:
        memfd = error.errno
    x32 = errno_of(libc.syscall(29 | 0x40000000, 0, ctypes.c_size_t(1 << 20), 0o1600))
    return [shm, memfd, x32]
"""
SYSV_HOG = """
import ctypes
def hold(mb):
    libc = ctypes.CDLL(None, use_errno=True)
    for _ in range(mb // 8):
        if libc.shmget(0, ctypes.c_size_t(8 << 20), 0o1600) < 0:
            raise OSError(ctypes.get_errno(), "shmget refused")
    return mb
"""


@pytest.fixture
def folder(traversable_tmp_path):
    return traversable_tmp_path


def _as_ordinary_user(folder: Path, source: str, **options) -> str:
    """What `source` prints in the worker's bubblewrap command for an ordinary user (no `uid`)."""
    lease = isolation.lease_uid()
    try:
        argv = isolation.bwrap_command(folder, [sys.executable, "-s", "-c", source], uid=None, tmp_mb=1, **options)
        done = subprocess.run([*isolation.setpriv(lease.uid), *argv], capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin"})
    finally:
        isolation.kill_uid(lease.uid)
        lease.release()
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_an_ordinary_users_worker_forks_no_more_than_its_process_limit(folder, python_readable_by_others):
    forked = int(_as_ordinary_user(folder, FORK_UNTIL_REFUSED, nproc=20))
    assert 0 < forked < 20, f"forked {forked} processes under a limit of 20"


def test_an_ordinary_users_worker_makes_no_nested_user_namespace(folder, python_readable_by_others):
    if not isolation._disable_userns():
        pytest.skip("this bubblewrap has no --disable-userns (0.8.0 on)")
    assert _as_ordinary_user(folder, NESTED_USER_NAMESPACE) == "-1"


def test_a_numpy_worker_without_a_cgroup_can_hold_no_memory_outside_its_limit(tmp_path, monkeypatch):
    """A worker the machine gives no cgroup (an ordinary user's) cannot make a SysV segment or a memfd, the
    memory RLIMIT_AS does not count: its seccomp filter refuses both (with the filter off, both work)."""
    if "seccomp" not in isolation.available_layers():
        pytest.skip("no seccomp filter for this machine's system calls")
    monkeypatch.setattr(isolation, "cgroup_usable", lambda: False)
    tmp_path.chmod(0o755)
    (tmp_path / "ex01_convolution.py").write_text(SYSV_HOG + MEMORY_PROBE)
    with Sandbox(tmp_path, Limits(call_timeout_s=10, import_timeout_s=10)) as sandbox:
        assert sandbox.call("ex01_convolution", "refusals") == [errno.ENOSYS, errno.ENOSYS, errno.ENOSYS]
        with pytest.raises(StudentException, match="shmget refused"):
            sandbox.call("ex01_convolution", "hold", 64)


def test_a_missing_uid_is_reported_for_what_it_allows_beside_the_namespaces():
    with_namespaces = dict(isolation.missing_layers([*isolation.ALWAYS, "namespaces"]))
    assert set(with_namespaces) == {"cgroup", "uid", "seccomp"}
    assert "reads none of the kit's solutions" in with_namespaces["uid"]
    assert "holds per process" in with_namespaces["cgroup"]
    alone = dict(isolation.missing_layers(list(isolation.ALWAYS)))
    assert alone["uid"] == isolation.WITHOUT["uid"] and "namespaces" in alone
