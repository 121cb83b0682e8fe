"""The seccomp layer: what isolate's cross-box rules forbid (shared keyrings, locks, io_uring) and the escape
hatches a grading worker never needs fail inside every worker, in every mode (rows named in each test).

Row 50 of design/bad-submissions.md: two boxes, or two tests of one box, try to meet through a keyring, a
lock or watch on a file both boxes see, or a SysV message queue. Rows 52 and 53 (new): a module uses
io_uring; a module traces or reads the memory of another process (a program it started, the zygote, the grader).
Each attack runs in the machine's best mode and in plain ``process`` mode (no uid, no namespaces), where
the filter is the only layer in the way. The filter itself is checked instruction by instruction with a
small classic-BPF interpreter, and its probe is shown to refuse a filter that does not work.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import re
import struct
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder import course
from autograder.sandbox import Limits, SandboxError, inside, isolation, process
from autograder.sandbox import Sandbox as _Sandbox

_KERAS = course.keras_exercise()
Sandbox = functools.partial(_Sandbox, forbidden=course.forbidden_imports(), keras_modules=(_KERAS.name,),
                            builder=_KERAS.builder, trainer=_KERAS.trainer, weights_file=course.WEIGHTS_FILE)
FAST = Limits(call_timeout_s=5, import_timeout_s=5)
MACHINE = os.uname().machine
LAYERS = isolation.available_layers()
needs_table = pytest.mark.skipif(MACHINE not in inside.SECCOMP_ARCHES,
                                 reason=f"the worker's filter has no system call numbers for {MACHINE}")
needs_uid = pytest.mark.skipif("uid" not in LAYERS, reason="needs root: a distinct sandbox uid per worker")
#: A file every box sees at the same path: numpy's own package (bound read-only under bubblewrap).
SHARED_FILE = str(Path(np.__file__).with_name("version.py"))


@pytest.fixture
def tmp_path(traversable_tmp_path):
    """Every test here gets a folder a sandbox uid can pass through."""
    return traversable_tmp_path


def boxes(tmp_path: Path, source: str, count: int = 2) -> list[Path]:
    """`count` world-readable submission folders, each holding `source` as ex01_convolution.py."""
    folders = []
    for index in range(count):
        folder = tmp_path / f"student{index}"
        folder.mkdir()
        (folder / "ex01_convolution.py").write_text(textwrap.dedent(source))
        (folder / "ex01_convolution.py").chmod(0o644)
        folder.chmod(0o755)
        folders.append(folder)
    return folders


@pytest.fixture(params=["best", "process"])
def mode(request, monkeypatch):
    """The machine's best isolation, or plain ``process`` mode (bubblewrap and the uid layer turned off)."""
    if request.param == "process":
        monkeypatch.setattr(isolation, "bwrap_usable", lambda: False)
        monkeypatch.setattr(isolation, "uid_drop_usable", lambda: False)
    return request.param


# ---- the filter, instruction by instruction --------------------------------------------------------------------------


def run_bpf(program: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """What the classic-BPF `program` returns for one system call (struct seccomp_data built here).

    Only the instructions a seccomp filter of this kit uses are known: load word, jeq / jge / jset, return."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(list(args) + [0] * 6)[:6])
    insns = [struct.unpack_from("=HBBI", program, offset) for offset in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == 0x20:
            acc = struct.unpack_from("=I", data, k)[0]
        elif code in (0x15, 0x35, 0x45):
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if taken else jf
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")


ENOSYS = inside.RET_ERRNO | inside.ENOSYS
EPERM = inside.RET_ERRNO | inside.EPERM


@pytest.mark.parametrize("machine", sorted(inside.SECCOMP_ARCHES))
def test_the_filter_refuses_exactly_the_denied_calls_and_lock_commands(machine):
    program = inside.seccomp_program(machine)
    arch, column = inside.SECCOMP_ARCHES[machine]
    number = {name: numbers[column] for name, numbers in inside.SYSCALLS.items()}
    present = [name for name in inside.SECCOMP_DENIED if number[name] is not None]
    denied = {number[name] for name in present}
    assert len(program) // 8 < 4096 and len(denied) == len(present)  # No two names share a number.
    for nr in range(600):
        if nr not in (number["fcntl"], number["clone"]):
            assert run_bpf(program, nr, arch) == (ENOSYS if nr in denied else inside.RET_ALLOW), nr
    for command in range(2048):
        expected = ENOSYS if command in inside.LOCK_COMMANDS else inside.RET_ALLOW
        assert run_bpf(program, number["fcntl"], arch, (3, command)) == expected, command
    # A thread, a fork (exit signal SIGCHLD) and a vfork pass; every namespace flag is refused.
    for flags in (0x003D0F00, 17, 0x00004111):
        assert run_bpf(program, number["clone"], arch, (flags,)) == inside.RET_ALLOW
    for bit in range(32):
        flag = 1 << bit
        expected = EPERM if flag & inside.NEW_NAMESPACES else inside.RET_ALLOW
        assert run_bpf(program, number["clone"], arch, (flag | 17,)) == expected, hex(flag)
    assert inside.NEW_NAMESPACES == 0x7E020000


def test_calls_of_another_abi_are_refused_and_an_unknown_machine_gets_no_filter():
    x86 = inside.seccomp_program("x86_64")
    getpid = 39
    assert run_bpf(x86, getpid, inside.SECCOMP_ARCHES["x86_64"][0]) == inside.RET_ALLOW
    assert run_bpf(x86, getpid, 0x40000003) == ENOSYS  # i386 through int 0x80: other numbers, same kernel.
    assert run_bpf(x86, inside.X32_SYSCALL_BIT | 73, inside.SECCOMP_ARCHES["x86_64"][0]) == ENOSYS  # x32 flock
    assert run_bpf(inside.seccomp_program("aarch64"), 172, 0x40000028) == ENOSYS  # 32-bit ARM
    assert inside.seccomp_program("riscv64") is None and inside.seccomp_program("s390x") is None


def _header_numbers(path: str, pattern: str) -> dict[str, int]:
    text = Path(path).read_text()
    return {name: int(value) for name, value in re.findall(pattern, text)}


HEADERS = {"x86_64": ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"],
           "aarch64": ["/usr/include/asm-generic/unistd.h"]}


@pytest.mark.parametrize("machine", sorted(inside.SECCOMP_ARCHES))
def test_the_system_call_numbers_are_the_kernel_headers_numbers(machine):
    """Checked against linux-libc-dev's headers where they are installed (aarch64 uses the generic table)."""
    path = next((p for p in HEADERS[machine] if os.path.exists(p)), None)
    if path is None:
        pytest.skip(f"no kernel headers for {machine} here")
    headers = _header_numbers(path, r"#define __NR(?:3264)?_(\w+)\s+(\d+)")
    column = inside.SECCOMP_ARCHES[machine][1]
    assert {name: numbers[column] for name, numbers in inside.SYSCALLS.items()} == \
           {name: headers.get(name) for name in inside.SYSCALLS}
    audit = Path("/usr/include/linux/elf-em.h")
    if audit.exists():
        em = _header_numbers(str(audit), r"#define (EM_\w+)\s+(\d+)")[{"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
                                                                         [machine]]
        assert inside.SECCOMP_ARCHES[machine][0] == em | 0x80000000 | 0x40000000  # __AUDIT_ARCH_64BIT | _LE


# ---- the layer and its probe -----------------------------------------------------------------------------------------


@needs_table
def test_the_seccomp_layer_is_reported_and_its_probe_refuses_a_filter_that_does_not_work():
    """The probe checks what the calls return, not that an installer said yes: a no-op, a filter that allows
    everything and one that refuses flock only are each found out."""
    assert "seccomp" in LAYERS and isolation.seccomp_works()
    assert not isolation.seccomp_works("True")
    assert not isolation.seccomp_works("inside.install_seccomp(inside._insn(inside._RET, inside.RET_ALLOW))")
    assert not isolation.seccomp_works("setattr(inside, 'SECCOMP_DENIED', ('flock',)) or inside.install_seccomp()")


@needs_table
def test_a_worker_that_does_not_install_its_filter_is_refused(tmp_path, monkeypatch):
    """Where the layer is claimed, a worker whose ready frame says its filter is off is not used."""
    unfiltered = process.WORKER_SOURCE.replace("filtered = install_seccomp(", "filtered = False and install_seccomp(")
    monkeypatch.setattr(process, "WORKER_SOURCE", unfiltered)
    (folder,) = boxes(tmp_path, "def f():\n    return 1\n", count=1)
    with Sandbox(folder, FAST) as sandbox, pytest.raises(SandboxError, match="seccomp"):
        sandbox.call("ex01_convolution", "f")


# ---- row 50: keyrings ------------------------------------------------------------------------------------------------

KEYRINGS = """
import ctypes, os

RINGS = {"session": -3, "user": -4, "user_session": -5, "process": -2}
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = ADD_KEY_NR, KEYCTL_NR

def leave(token):
    left = {}
    for ring, spec in RINGS.items():
        data = token.encode()
        serial = libc.syscall(ctypes.c_long(ADD_KEY), b"user", b"convkit-meet", data, ctypes.c_long(len(data)),
                              ctypes.c_long(spec))
        left[ring] = "left" if serial >= 0 else "refused"
    return left

def look():
    found = {}
    for ring, spec in RINGS.items():
        serial = libc.syscall(ctypes.c_long(KEYCTL), ctypes.c_long(10), ctypes.c_long(spec), b"user",  # SEARCH
                              b"convkit-meet", ctypes.c_long(0))
        buffer = ctypes.create_string_buffer(64)
        size = libc.syscall(ctypes.c_long(KEYCTL), ctypes.c_long(11), ctypes.c_long(serial), buffer,  # READ
                            ctypes.c_long(64)) if serial >= 0 else -1
        found[ring] = buffer.raw[:size].decode() if size >= 0 else None
    return found
"""


def keyring_source() -> str:
    column = inside.SECCOMP_ARCHES[MACHINE][1]
    return KEYRINGS.replace("ADD_KEY_NR", str(inside.SYSCALLS["add_key"][column])).replace(
        "KEYCTL_NR", str(inside.SYSCALLS["keyctl"][column]))


def grader_finds_key() -> bool:
    """Whether the grader's own user or user-session keyring holds a key left from inside a box."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    keyctl = inside.SYSCALLS["keyctl"][inside.SECCOMP_ARCHES[MACHINE][1]]
    return any(libc.syscall(ctypes.c_long(keyctl), ctypes.c_long(10), ctypes.c_long(ring), b"user",
                            b"convkit-meet", ctypes.c_long(0)) >= 0 for ring in (-4, -5))


NOTHING = {"session": None, "user": None, "user_session": None, "process": None}


@needs_table
def test_row50_a_key_left_in_a_keyring_reaches_no_other_box_no_later_test_and_not_the_grader(tmp_path, mode):
    """Row 50 (isolate: no shared keyrings): the uid's user keyrings outlive the worker, and without the uid
    layer every box and the grader share the grader's. Adding a key fails in the box, so a concurrent box,
    the same box's next test and the grader find nothing."""
    first, second = boxes(tmp_path, keyring_source())
    with Sandbox(first, FAST) as one, Sandbox(second, FAST) as two:
        left = one.call("ex01_convolution", "leave", "hello")
        seen = {"other box": two.call("ex01_convolution", "look")}
        one.fresh()
        seen["next test"] = one.call("ex01_convolution", "look")
    assert seen == {"other box": NOTHING, "next test": NOTHING} and not grader_finds_key()
    assert left == dict.fromkeys(NOTHING, "refused")


@needs_table
@needs_uid
def test_row50_a_key_left_by_one_student_does_not_reach_the_next_worker_of_its_uid(tmp_path, monkeypatch):
    """Row 50: a uid's user keyring lives on after its worker is killed; the next student leased that uid
    would read it. Both students get the same uid here; the second finds nothing."""
    first, second = boxes(tmp_path, keyring_source())
    leased, real = [], isolation.lease_uid

    def same_uid():
        if not leased:
            lease = real()
        else:  # The uid the first student had, free again.
            fd = os.open(isolation._lock_dir() / f"{leased[0]}.lock", os.O_RDWR | os.O_CLOEXEC)
            fcntl.flock(fd, fcntl.LOCK_EX)
            lease = isolation.UidLease(leased[0], fd)
        leased.append(lease.uid)
        return lease
    monkeypatch.setattr(isolation, "lease_uid", same_uid)
    with Sandbox(first, FAST) as one:
        one.call("ex01_convolution", "leave", "from the first student")
    with Sandbox(second, FAST) as two:
        found = two.call("ex01_convolution", "look")
    assert len(leased) == 2 and leased[0] == leased[1] and found == NOTHING


# ---- row 50: locks and watches on a file both boxes see, SysV IPC ----------------------------------------------------

LOCKS = """
import ctypes, errno, fcntl, os, struct

KEPT = []
FLOCK = "hhqqi4x"  # struct flock: l_type, l_whence, l_start, l_len, l_pid
libc = ctypes.CDLL(None, use_errno=True)

def _outcome(action):
    try:
        action()
        return "free"
    except OSError as error:
        return "busy" if error.errno in (errno.EAGAIN, errno.EACCES) else "refused"

def hold(path):
    '''Take every kind of lock on `path` and watch it; keep the descriptors open.'''
    fd = os.open(path, os.O_RDONLY)
    ofd = os.open(path, os.O_RDONLY)
    KEPT.extend([fd, ofd])
    held = {"flock": _outcome(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
            "posix": _outcome(lambda: fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack(FLOCK, fcntl.F_RDLCK, 0, 0, 0, 0))),
            "ofd": _outcome(lambda: fcntl.fcntl(ofd, 37, struct.pack(FLOCK, fcntl.F_RDLCK, 0, 0, 0, 0)))}
    watch = libc.inotify_init1(os.O_NONBLOCK)
    held["inotify"] = "free" if watch >= 0 and libc.inotify_add_watch(watch, path.encode(), 0x21) >= 0 else "refused"
    KEPT.append(watch)
    return held

def _getlk(fd, command):
    lock = fcntl.fcntl(fd, command, struct.pack(FLOCK, fcntl.F_WRLCK, 0, 0, 0, 0))
    if struct.unpack(FLOCK, lock)[0] != fcntl.F_UNLCK:
        raise OSError(errno.EAGAIN, "held")

def probe(path):
    '''What another box can learn about `path`: its locks, and (opening it) nothing else.'''
    fd = os.open(path, os.O_RDONLY)
    try:
        return {"flock": _outcome(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
                "posix": _outcome(lambda: _getlk(fd, fcntl.F_GETLK)),
                "ofd": _outcome(lambda: _getlk(fd, 36))}
    finally:
        os.close(fd)

def events():
    '''How many inotify events the watch `hold` set up has seen.'''
    if len(KEPT) < 3 or KEPT[2] < 0:
        return "no watch"
    try:
        return len(os.read(KEPT[2], 4096))
    except BlockingIOError:
        return 0
    except OSError:
        return "no watch"
"""


@needs_table
def test_row50_two_boxes_cannot_meet_through_a_lock_or_a_watch_on_a_file_both_see(tmp_path, mode):
    """Row 50 (isolate: no shared locks): a lock or an inotify watch on a read-only file both boxes see is a
    signal from one box to the other. With the filter, what the second box observes does not depend on what
    the first does: its probe gives the same answers before and after the first box locks the file, and
    the first box's watch sees nothing when the second box opens it."""
    first, second = boxes(tmp_path, LOCKS)
    with Sandbox(first, FAST) as one, Sandbox(second, FAST) as two:
        before = two.call("ex01_convolution", "probe", SHARED_FILE)
        held = one.call("ex01_convolution", "hold", SHARED_FILE)
        quiet = one.call("ex01_convolution", "events")
        after = two.call("ex01_convolution", "probe", SHARED_FILE)  # Opening the file is what a watch sees.
        woken = one.call("ex01_convolution", "events")
    assert before == after and quiet == woken
    assert held == dict.fromkeys(["flock", "posix", "ofd", "inotify"], "refused")
    assert before == dict.fromkeys(["flock", "posix", "ofd"], "refused") and quiet == "no watch"


SYSV = """
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
KEY = 0x5EED0C0

def leave():
    queue = libc.msgget(KEY, 0o1666)  # IPC_CREAT | 0666
    return "left" if queue >= 0 else "refused"

def look():
    return "found" if libc.msgget(KEY, 0o666) >= 0 else "nothing"
"""


def _remove_queue(key: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    queue = libc.msgget(key, 0)
    if queue >= 0:
        libc.msgctl(queue, 0, None)  # IPC_RMID


@needs_table
def test_row50_two_boxes_cannot_meet_through_a_sysv_message_queue(tmp_path, mode):
    """Row 50: without bubblewrap's IPC namespace, SysV message queues, semaphores and shared memory are
    the machine's: a queue one box creates with mode 0666 is found by the other. The filter refuses them."""
    first, second = boxes(tmp_path, SYSV)
    try:
        with Sandbox(first, FAST) as one, Sandbox(second, FAST) as two:
            before = two.call("ex01_convolution", "look")
            left = one.call("ex01_convolution", "leave")
            after = two.call("ex01_convolution", "look")
    finally:
        _remove_queue(0x5EED0C0)
    assert before == after == "nothing"
    assert left == "refused"


# ---- row 52: io_uring ------------------------------------------------------------------------------------------------

IO_URING = """
import ctypes, errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def setup():
    params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
    ctypes.set_errno(0)
    fd = libc.syscall(ctypes.c_long({setup}), ctypes.c_long(4), params)
    return "ring" if fd >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
"""


@needs_table
def test_row53_io_uring_is_not_available_in_the_box(tmp_path, mode):
    """Row 53 (isolate: no io_uring): a ring's operations (open, read, connect) never pass a system-call
    filter, so the ring itself is refused, with ENOSYS, which libraries that probe for io_uring take as
    "not here" and fall back. (Without the filter a root worker gets a ring; a uid worker is refused by
    RLIMIT_MEMLOCK only, with ENOMEM.)"""
    column = inside.SECCOMP_ARCHES[MACHINE][1]
    (folder,) = boxes(tmp_path, IO_URING.format(setup=inside.SYSCALLS["io_uring_setup"][column]), count=1)
    with Sandbox(folder, FAST) as sandbox:
        assert sandbox.call("ex01_convolution", "setup") == "ENOSYS"
        sandbox.fresh()
        assert sandbox.call("ex01_convolution", "setup") == "ENOSYS"  # A child of the zygote inherits it.


# ---- row 53: tracing and reading other processes ---------------------------------------------------------------------

PTRACE = """
import ctypes, os, subprocess

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def _read_memory(pid):
    '''16 bytes of `pid`'s memory (its first readable mapping) through process_vm_readv.'''
    try:
        with open(f"/proc/{pid}/maps") as handle:
            start = next(int(line.split("-")[0], 16) for line in handle if line.split()[1].startswith("r"))
    except (OSError, StopIteration):
        return "refused"
    buffer = ctypes.create_string_buffer(16)
    local, remote = Iovec(ctypes.addressof(buffer), 16), Iovec(start, 16)
    done = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    return "read" if done == 16 else "refused"


def _trace_child():
    # A program it starts, not a plain fork: exec makes it dumpable again (a fork of the zygote is not).
    child = subprocess.Popen(["sleep", "30"])
    try:
        if libc.ptrace(16, child.pid, None, None) != 0:  # PTRACE_ATTACH
            return "refused"
        os.waitpid(child.pid, 0)
        libc.ptrace(17, child.pid, None, None)  # PTRACE_DETACH
        return "traced"
    finally:
        child.kill()
        child.wait()


def spy():
    zygote = os.getppid()
    grader = None
    try:
        with open(f"/proc/{zygote}/status") as handle:
            grader = int(next(line.split()[1] for line in handle if line.startswith("PPid:")))
    except (OSError, StopIteration, ValueError):
        pass
    return {"own child": _trace_child(), "zygote": _read_memory(zygote),
            "grader": _read_memory(grader) if grader else "refused"}
"""


@needs_table
def test_row54_the_box_can_trace_or_read_no_process_not_even_its_own_child(tmp_path, mode):
    """Row 54: ptrace and process_vm_readv are refused. Without them a module in ``process`` mode reads the
    zygote's and the grader's memory (the expected answers live there); under the uid layer the zygote and
    its forks are not dumpable, but a program the module starts is, and the module can trace it."""
    (folder,) = boxes(tmp_path, PTRACE, count=1)
    with Sandbox(folder, FAST) as sandbox:
        assert sandbox.call("ex01_convolution", "spy") == {"own child": "refused", "zygote": "refused",
                                                           "grader": "refused"}
        assert sandbox.call("ex01_convolution", "spy")["zygote"] == "refused"  # The same child, again.
