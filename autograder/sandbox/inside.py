"""The sandbox worker: the one program that imports a student's module. It runs inside the sandbox.

The trusted side (`autograder.sandbox`) starts it as ``python -s -B -P -c <this file's source> REQ RESP
MODE WIPE [PATH ...]`` with the submission folder as the working directory. MODE ``single`` serves requests
itself; ``zygote`` keeps one fresh worker (a fork of itself) serving the requests, and when that worker has
ended (on an ``exit`` request) writes ``{"op": "child_exit", "code": ...}``, cleans up and forks the next:
it empties the folders WIPE lists (``os.pathsep``-separated, ``-`` for none); the entry ``box`` (it is the
init of the sandbox's own PID and IPC namespaces) makes it kill every other process it can signal and
remove every System V IPC object, and ``sysv`` (its uid is the sandbox's alone) those of its uid. MODE
``lane`` (a bubblewrap box that serves one student after another) forks a zygote for each ``student``
request, and when that zygote has ended (a child read ``student_end``) cleans the whole box as a zygote
does between tests and writes ``{"op": "student_done"}``; it answers ``ping`` with ``{"op": "pong"}``. It imports
only the standard library and numpy; a Keras task's student module imports TensorFlow itself. Nothing of the
grader (no tests, no solutions) is imported here or reachable from here.

Wire format, both directions: a frame is 16 bytes (two big-endian u64: JSON length, payload length), a JSON
header, then the payload: ``.npy`` blobs back to back, their lengths listed in the header's ``"blobs"``.
Values are JSON with tags: ``None``, bool, int, float and str travel as themselves; lists, tuples and dicts
as ``{"t": "list" | "tuple" | "dict", "v": ...}``; a plain ndarray as ``{"t": "nd", "i": blob}``; a numpy
scalar as ``{"t": "np", "i": blob}``; an object-dtype array as ``{"t": "objarray", "shape": ...}`` (its
elements never travel); anything else a student returns as ``{"t": "foreign", "name": <type name>}``.
Requests: ``import`` (module, forbidden), ``call`` (function, args, kwargs), ``keras_json``,
``keras_predict``, ``keras_train_weights``, ``keras_file_weights`` and, in a worker that imports no student module,
``keras_rebuild_predict``. Replies: ``{"status": "ok", "value": ...}`` or ``{"status": "error", "kind": ...}``, plus
``"mutated"``: ``[[argument array index, null], ...]`` for input arrays whose content the call changed.

The trusted side imports this module too, for the wire format (`Codec`, frames, `load_npy`); everything
below the "worker process" marker runs only in the worker.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import io
import itertools
import json
import math
import os
import re
import struct
import sys

import numpy as np

HEAD = struct.Struct("!QQ")
#: Top-level names of the kit: never importable by student code, even where an install would provide them.
KIT_NAMES = ("solutions", "autograder", "exercises", "tests")
MESSAGE_CHARS = 500
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000


class WireError(ValueError):
    """A frame or value that does not follow the wire format."""


class ForbiddenImport(ImportError):
    """A student module imported an API its exercise forbids."""


class MissingFunction(AttributeError):
    """The student module has no callable of the requested name."""


#: numpy's own scalar types (never a subclass a student defined).
NUMPY_SCALARS = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.generic) and t is not np.object_)


def type_name(value: object) -> str:
    """`module.Qualname` of a value's type (just the name for builtins), at most 120 characters."""
    try:
        kind = type(value)
        module, name = kind.__module__, kind.__qualname__
        if type(module) is not str or type(name) is not str:
            return "object"
        return (name if module == "builtins" else f"{module}.{name}")[:120]
    except BaseException:  # noqa: BLE001 - a hostile metaclass must not break the reply.
        return "object"


#: Terminal control sequences (CSI, OSC, other ESC sequences) and the remaining C0/C1 control characters
#: except tab and newline: a message must not repaint a console or a feedback page.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_str(value: object, limit: int = MESSAGE_CHARS) -> str:
    """`str(value)` cut to `limit` characters, terminal escape sequences and control characters removed;
    student code in `__str__` may raise anything or loop."""
    try:
        text = str(value)
    except BaseException:  # noqa: BLE001
        text = None
    text = _CONTROL.sub("", text) if type(text) is str else "<message not printable>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: The dtypes whose ``.npy`` header this module writes and reads itself: one scalar type each, no fields.
SIMPLE_KINDS = frozenset("biufcmMSUV")
NPY_MAGIC = b"\x93NUMPY\x01\x00"
#: The header numpy writes (format 1.0) for a simple dtype, then spaces and a newline.
NPY_HEADER = re.compile(rb"\{'descr': '([<>|=][A-Za-z]\d*(?:\[\w+\])?)', 'fortran_order': (True|False), "
                        rb"'shape': \(((?:\d+, )*(?:\d+,?)?)\), \} *\n")


def _simple(dtype: np.dtype) -> bool:
    return dtype.kind in SIMPLE_KINDS and dtype.fields is None and dtype.subdtype is None and not dtype.hasobject


def npy_bytes(array: np.ndarray) -> bytes:
    """`array` as an ``.npy`` blob, as `np.save(allow_pickle=False)` writes it. The header of a simple dtype
    is written here: numpy's writer costs a fresh worker about a third of a millisecond each time."""
    if not _simple(array.dtype):
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    header = f"{{'descr': '{array.dtype.str}', 'fortran_order': {fortran}, 'shape': {tuple(array.shape)!r}, }}"
    padding = -(len(NPY_MAGIC) + 2 + len(header) + 1) % 64
    header = (header + " " * padding + "\n").encode("latin1")
    data = array.tobytes(order="F" if fortran else "C")
    return b"".join([NPY_MAGIC, len(header).to_bytes(2, "little"), header, data])


#: The most header bytes an ``.npy`` blob from the worker may have (numpy writes a few hundred).
NPY_HEADER_CAP = 1 << 16


def _npy_header(blob) -> tuple:
    """(shape, fortran order, dtype, data offset) of an ``.npy`` blob: numpy's format 1.0 header of a simple
    dtype is read with `NPY_HEADER`, any other with numpy's own reader."""
    head = bytes(blob[:NPY_HEADER_CAP])
    size = int.from_bytes(head[8:10], "little")
    match = NPY_HEADER.fullmatch(head, 10, 10 + size) if head[:8] == NPY_MAGIC else None
    if match is not None:
        dtype = np.dtype(match[1].decode())
        if _simple(dtype):
            shape = tuple(int(n) for n in match[3].replace(b",", b" ").split())
            return shape, match[2] == b"True", dtype, 10 + size
    stream = io.BytesIO(head)
    version = np.lib.format.read_magic(stream)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = read_header(stream)
    return shape, fortran, dtype, stream.tell()


def load_npy(blob) -> np.ndarray:
    """Parse one ``.npy`` blob (bytes or a memoryview), checking that its header's shape and dtype match its
    length first. The array is copied out of `blob` once, so the frame holding it can be freed."""
    try:
        shape, fortran, dtype, offset = _npy_header(blob)
    except Exception as error:  # noqa: BLE001 - any malformed header is a wire error.
        raise WireError(f"bad npy header: {safe_str(error, 100)}") from None
    count = math.prod(shape)
    if dtype.hasobject or count * dtype.itemsize != len(blob) - offset:
        raise WireError("npy header does not match its data")
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")


class Codec:
    """Turns values into tagged JSON plus npy blobs and back; `arrays` collects ndarrays in wire order.

    `strict` (the trusted side sending arguments) refuses unknown types; otherwise (a student's answer)
    they become ``foreign`` values that carry only the type's name.
    """

    def __init__(self, blobs: list, strict: bool = False, foreign=None):
        self.blobs = blobs
        self.arrays: list = []
        self.strict = strict
        self.make_foreign = foreign
        self.items = 0

    def _foreign(self, value: object, why: str = "") -> dict:
        if self.strict:
            raise TypeError(f"cannot send a {type_name(value)} to the sandbox")
        return {"t": "foreign", "name": type_name(value) + why}

    def encode(self, value: object, depth: int = 0) -> object:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            return self._foreign(value, " (too large or too deeply nested)")
        kind = type(value)
        if value is None or kind in (bool, str, float):
            return value
        if kind is int:
            return value if abs(value) < 10**300 else self._foreign(value, " (too large)")
        if kind is np.ndarray:
            if value.dtype.hasobject:
                return {"t": "objarray", "shape": list(value.shape)}
            self.blobs.append(npy_bytes(value))
            self.arrays.append(value)
            return {"t": "nd", "i": len(self.blobs) - 1, "ro": not value.flags.writeable}
        if kind in NUMPY_SCALARS and not value.dtype.hasobject:
            self.blobs.append(npy_bytes(np.asarray(value)))
            return {"t": "np", "i": len(self.blobs) - 1}
        if kind in (list, tuple, dict) and len(value) > MAX_ITEMS:
            return self._foreign(value, " (too large)")
        if kind in (list, tuple):
            return {"t": kind.__name__, "v": [self.encode(item, depth + 1) for item in value]}
        if kind is dict and all(type(key) in (str, int, float, bool) or key is None for key in value):
            return {"t": "dict", "v": [[key, self.encode(item, depth + 1)] for key, item in value.items()]}
        return self._foreign(value)

    def decode(self, node: object, depth: int = 0) -> object:
        self.items += 1
        if depth > MAX_DEPTH + 1 or self.items > MAX_ITEMS + 1:
            raise WireError("value too large or too deeply nested")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict:
            raise WireError("untagged container")
        tag = node.get("t")
        if tag in ("nd", "np"):
            array = load_npy(self._blob(node.get("i")))
            if tag == "np":
                return array[()]
            array.flags.writeable = not node.get("ro", False)
            self.arrays.append(array)
            return array
        if tag == "objarray":
            shape = tuple(node.get("shape", ()))
            if len(shape) > 32 or not all(type(n) is int and 0 <= n <= MAX_ITEMS for n in shape) \
                    or math.prod(shape) > MAX_ITEMS:
                raise WireError("bad object array shape")
            return np.full(shape, None, dtype=object)
        if tag == "foreign" and self.make_foreign is not None:
            return self.make_foreign(safe_str(node.get("name"), 160))
        items = node.get("v")
        if tag in ("list", "tuple") and type(items) is list:
            decoded = [self.decode(item, depth + 1) for item in items]
            return decoded if tag == "list" else tuple(decoded)
        if tag == "dict" and type(items) is list and all(type(p) is list and len(p) == 2 for p in items):
            if not all(type(p[0]) in (str, int, float, bool) or p[0] is None for p in items):
                raise WireError("bad dict key")
            return {key: self.decode(item, depth + 1) for key, item in items}
        raise WireError(f"unknown tag {safe_str(tag, 40)}")

    def _blob(self, index: object) -> bytes:
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise WireError("bad blob index")
        return self.blobs[index]


def frame_bytes(header: dict, blobs: list) -> list:
    """The buffers of one frame (`header` gains the blob lengths)."""
    header["blobs"] = [len(blob) for blob in blobs]
    text = json.dumps(header).encode()
    return [HEAD.pack(len(text), sum(header["blobs"])), text, *blobs]


def split_frame(text: bytes, payload: bytes) -> tuple:
    """The header dict and blob list of a received frame."""
    try:
        header = json.loads(bytes(text))
    except (ValueError, RecursionError):
        raise WireError("frame header is not JSON") from None
    lengths = header.get("blobs") if type(header) is dict else None
    if type(lengths) is not list or not all(type(n) is int and n >= 0 for n in lengths) \
            or sum(lengths) != len(payload):
        raise WireError("frame blob lengths do not match its payload")
    ends = list(itertools.accumulate(lengths))
    return header, [payload[end - n:end] for n, end in zip(lengths, ends, strict=True)]


# ---- worker process: only the worker runs what follows. -------------------------------------------------------------


# ---- seccomp filter: the worker installs it before any student code runs; the zygote's children inherit it. ---------

#: System call numbers, x86_64 and aarch64 (aarch64 uses the kernel's generic table, asm-generic/unistd.h);
#: None where the architecture has no such call.
SYSCALLS = {
    "flock": (73, 32), "fcntl": (72, 25), "clone": (56, 220), "clone3": (435, 435), "seccomp": (317, 277),
    "add_key": (248, 217), "request_key": (249, 218), "keyctl": (250, 219),
    "inotify_init": (253, None), "inotify_init1": (294, 26), "inotify_add_watch": (254, 27),
    "fanotify_init": (300, 262), "fanotify_mark": (301, 263),
    "msgget": (68, 186), "msgsnd": (69, 189), "msgrcv": (70, 188), "msgctl": (71, 187),
    "semget": (64, 190), "semop": (65, 193), "semctl": (66, 191), "semtimedop": (220, 192),
    "shmget": (29, 194), "shmat": (30, 196), "shmctl": (31, 195), "shmdt": (67, 197),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "kcmp": (312, 272),
    "pidfd_getfd": (438, 438), "process_madvise": (440, 440),
    "perf_event_open": (298, 241), "bpf": (321, 280), "userfaultfd": (323, 282),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432),
    "fspick": (433, 433), "mount_setattr": (442, 442), "setns": (308, 268), "unshare": (272, 97),
    "swapon": (167, 224), "swapoff": (168, 225), "reboot": (169, 142), "open_by_handle_at": (304, 265),
    "iopl": (172, None), "ioperm": (173, None), "acct": (163, 89), "settimeofday": (164, 170),
    "clock_settime": (227, 112), "syslog": (103, 116), "quotactl": (179, 60), "vhangup": (153, 58),
    "memfd_create": (319, 279),
}
#: `os.uname().machine` -> (AUDIT_ARCH_* of linux/audit.h, column of `SYSCALLS`).
SECCOMP_ARCHES = {"x86_64": (0xC000003E, 0), "aarch64": (0xC00000B7, 1)}
#: Calls that fail with ENOSYS in the worker, by purpose. Meeting places of two boxes or two tests: file locks
#: and watches on a file both see, the uid's keyrings (they outlive the worker), SysV IPC (shared without
#: bubblewrap). io_uring: its operations never pass this filter. Reading or steering other processes. Kernel
#: and machine administration a grading worker never needs. clone3 too: its flags sit in a struct this filter
#: cannot read, and the C library falls back to clone, whose namespace flags it refuses (EPERM).
SECCOMP_DENIED = (
    "flock", "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_init", "fanotify_mark",
    "add_key", "request_key", "keyctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl", "semtimedop",
    "shmget", "shmat", "shmctl", "shmdt",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
    "perf_event_open", "bpf", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "setns", "unshare", "clone3", "swapon", "swapoff", "reboot",
    "open_by_handle_at", "iopl", "ioperm", "acct", "settimeofday", "clock_settime", "syslog", "quotactl",
    "vhangup",
)
#: fcntl commands refused (ENOSYS): F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
#: F_SETLEASE, F_NOTIFY (the same numbers on both architectures).
LOCK_COMMANDS = (5, 6, 7, 36, 37, 38, 1024, 1026)
#: Refused too in a numpy worker, which never needs it: memory that RLIMIT_AS does not count (a cgroup does,
#: but an ordinary user's worker has none). A Keras worker keeps it: TensorFlow may map code through it.
NUMPY_DENIED = ("memfd_create",)
#: clone flags refused (EPERM): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
X32_SYSCALL_BIT = 0x40000000
ENOSYS, EPERM = 38, 1
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
#: Offsets in struct seccomp_data: nr, arch, the low 32 bits of args[0] and args[1] (little-endian).
_NR, _ARCH, _ARG0, _ARG1 = 0, 4, 16, 24


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_program(machine: str | None = None, numpy_only: bool = False) -> bytes | None:
    """The classic-BPF filter for `machine` (default: this one), None for an architecture without a table.

    Calls of another ABI (i386 through int 0x80, x32 numbers) fail with ENOSYS; so do the `SECCOMP_DENIED`
    calls (and `NUMPY_DENIED` with `numpy_only`) and fcntl with a `LOCK_COMMANDS` command; clone with a
    `NEW_NAMESPACES` flag fails with EPERM; everything else is allowed. Each test is a compare and a return,
    so no jump is longer than one instruction block (a classic-BPF jump reaches at most 255 instructions
    ahead).
    """
    machine = machine or os.uname().machine
    if machine not in SECCOMP_ARCHES:
        return None
    arch, column = SECCOMP_ARCHES[machine]
    number = {name: numbers[column] for name, numbers in SYSCALLS.items()}
    enosys, allow = _insn(_RET, RET_ERRNO | ENOSYS), _insn(_RET, RET_ALLOW)
    program = [_insn(_LD_ABS_W, _ARCH), _insn(_JEQ, arch, 1, 0), enosys, _insn(_LD_ABS_W, _NR)]
    if machine == "x86_64":
        program += [_insn(_JGE, X32_SYSCALL_BIT, 0, 1), enosys]
    # fcntl and clone first: their answer depends on an argument, so the kernel runs the filter for every
    # such call; for the others it remembers the answer per call number (allowed calls then cost nothing).
    locks = [_insn(_LD_ABS_W, _ARG1)]
    for command in LOCK_COMMANDS:
        locks += [_insn(_JEQ, command, 0, 1), enosys]
    program += [_insn(_JEQ, number["fcntl"], 0, len(locks) + 1), *locks, allow]
    program += [_insn(_JEQ, number["clone"], 0, 4), _insn(_LD_ABS_W, _ARG0), _insn(_JSET, NEW_NAMESPACES, 0, 1),
                _insn(_RET, RET_ERRNO | EPERM), allow]
    for name in SECCOMP_DENIED + NUMPY_DENIED * numpy_only:
        if number[name] is not None:
            program += [_insn(_JEQ, number[name], 0, 1), enosys]
    return b"".join([*program, allow])


def install_seccomp(program: bytes | None = None) -> bool:
    """Install `program` (default: `seccomp_program()`) on every thread of this process, after
    PR_SET_NO_NEW_PRIVS; returns whether it is installed. Irrevocable: children inherit it across fork
    and exec. Nothing is installed on an architecture without a table (the layer is then reported missing)."""
    import ctypes

    program = seccomp_program() if program is None else program
    if not program or os.uname().machine not in SECCOMP_ARCHES:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = ctypes.create_string_buffer(program, len(program))
    fprog = Fprog(len(program) // 8, ctypes.addressof(code))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    seccomp = SYSCALLS["seccomp"][SECCOMP_ARCHES[os.uname().machine][1]]
    # SECCOMP_SET_MODE_FILTER with FLAG_TSYNC (all threads or none; a thread id if one refused) and, where
    # the kernel knows it (4.17+), FLAG_SPEC_ALLOW: before 5.16 a filter also turned on the speculative
    # store bypass mitigation, slowing all the worker's code, and the worker holds no one else's secrets.
    for flags in (1 | 4, 1):
        done = libc.syscall(ctypes.c_long(seccomp), ctypes.c_long(1), ctypes.c_long(flags), ctypes.byref(fprog))
        if done == 0:
            return True
        if done != -1 or ctypes.get_errno() != 22:  # EINVAL: an unknown flag; anything else is final.
            return False
    return False


def _read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, buffers: list) -> None:
    for buffer in buffers:
        view = memoryview(buffer)
        while view:
            view = view[os.write(fd, view):]


class PolicyFinder:
    """A `sys.meta_path` hook: refuses the forbidden APIs and hides the kit's own packages."""

    def __init__(self, module: str, forbidden: list):
        self.module = module
        self.forbidden = list(forbidden)

    def find_spec(self, fullname, path=None, target=None):
        for banned in self.forbidden:
            if fullname == banned or fullname.startswith(banned + "."):
                raise ForbiddenImport(f"forbidden API: {banned} is not allowed in {self.module}")
        if fullname.partition(".")[0] in KIT_NAMES:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        if any(banned.startswith(fullname + ".") for banned in self.forbidden):
            # A parent of a forbidden API (scipy for scipy.signal) that the file view left out: an empty
            # package stands in, so that `from scipy.signal import x` reports the forbidden API by name.
            import importlib.machinery
            for finder in sys.meta_path:
                if finder is not self and hasattr(finder, "find_spec"):
                    spec = finder.find_spec(fullname, path, target)
                    if spec is not None:
                        return spec
            return importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        return None


class PrecompiledLoader(importlib.machinery.SourceFileLoader):
    """Python's own source loader, given the module's code object instead of compiling the file again."""

    def __init__(self, fullname: str, path: str, code):
        super().__init__(fullname, path)
        self.code = code

    def get_code(self, fullname):
        return self.code if fullname == self.name else super().get_code(fullname)


class PrecompiledFinder:
    """A `sys.meta_path` hook placed just before Python's `PathFinder`: the spec `PathFinder` finds, with the
    loader swapped for a `PrecompiledLoader` when it is the file its zygote compiled (`precompile`)."""

    def __init__(self, compiled: dict):
        self.compiled = compiled  # module name -> (file path, code object)

    def find_spec(self, fullname, path=None, target=None):
        entry = self.compiled.get(fullname) if path is None else None
        if entry is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, None, target)
        if spec is not None and spec.origin == entry[0] and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = PrecompiledLoader(fullname, entry[0], entry[1])
        return spec


#: Packages a worker imports only when something first uses them. Keras imports them at its own import for
#: optional features (IPython for its interactive file editor, pyplot for its image galleries); importing
#: them costs about a second of a Keras worker's start, pyplot the most (it builds a font cache in the
#: worker's empty home), and grading uses neither. A student module that uses them gets them as usual.
LAZY_PACKAGES = ("IPython", "matplotlib.pyplot")


class LazyFinder:
    """A `sys.meta_path` hook that gives the `LAZY_PACKAGES` a loader that runs them on first attribute use."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in LAZY_PACKAGES:
            return None
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


#: Source files larger than this are left for the worker to compile.
PRECOMPILE_BYTES = 1 << 20


def precompile(folder: str) -> dict:
    """Compile each module file of `folder` as Python's source loader would (nothing of it runs), so that
    every fresh worker of a zygote skips the parse: about a millisecond and a half a test. A file that does
    not compile is left out; the worker that imports it then meets the error itself, with the same message.
    Returns module name -> (file path, code object)."""
    compiled = {}
    for entry in os.scandir(folder):
        name, dot, suffix = entry.name.rpartition(".")
        if not (dot and suffix == "py" and name.isidentifier()):
            continue
        try:
            if not entry.is_file() or entry.stat().st_size > PRECOMPILE_BYTES:
                continue
            path = os.path.join(folder, entry.name)
            with open(path, "rb") as handle:
                source = handle.read(PRECOMPILE_BYTES + 1)
            compiled[name] = (path, importlib.machinery.SourceFileLoader(name, path).source_to_code(source, path))
        except BaseException:  # noqa: BLE001, S112 - a syntax error, null bytes, a nesting too deep ...
            continue
    return compiled


def _student_line(error: BaseException, filename: str) -> int | None:
    """The line of the student's file where `error` arose (for a SyntaxError, the line that fails to parse)."""
    if issubclass(type(error), SyntaxError) and error.filename == filename:
        return error.lineno if type(error.lineno) is int else None
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def error_reply(error: BaseException, filename: str) -> dict:
    """The reply for an exception; only `type(error)` is trusted, student attributes are read defensively."""
    kind_of = type(error)
    kinds = [(MissingFunction, "missing"), (ForbiddenImport, "forbidden"), (SystemExit, "exit"),
             (MemoryError, "memory"), (Exception, "exception"), (BaseException, "base_exception")]
    kind = next(name for cls, name in kinds if issubclass(kind_of, cls))
    try:
        line = _student_line(error, filename)
        message = error.msg if issubclass(kind_of, SyntaxError) else error
    except BaseException:  # noqa: BLE001 - a property on the student's exception class may raise.
        line, message = None, "<message not printable>"
    return {"status": "error", "kind": kind, "type": type_name(error), "message": safe_str(message),
            "line": line, "value_error": issubclass(kind_of, ValueError),
            "not_implemented": issubclass(kind_of, NotImplementedError)}


class Worker:
    def __init__(self):
        self.module = None
        self.name = ""
        self.filename = ""

    def handle(self, header: dict, blobs: list) -> tuple:
        """Run one request; returns the reply header and blobs. Never raises."""
        out_blobs: list = []
        codec = Codec(blobs)
        inputs: list = []
        try:
            op = header.get("op")
            if op == "import":
                self.do_import(header["module"], header.get("forbidden", []))
                value = None
            else:
                args = codec.decode(header.get("args", {"t": "list", "v": []}))
                kwargs = codec.decode(header.get("kwargs", {"t": "dict", "v": []}))
                inputs = [(array, array.copy()) for array in codec.arrays] if op == "call" else []
                value = getattr(self, f"do_{op}")(header, *args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - every student exception becomes a reply.
            reply = error_reply(error, self.filename)
        else:
            reply = answer(value, out_blobs)
        reply["mutated"] = []
        for index, (array, before) in enumerate(inputs):
            if array.shape != before.shape or array.dtype != before.dtype or array.tobytes() != before.tobytes():
                # Only the index travels: the trusted side never copies the changed values back.
                reply["mutated"].append([index, None])
        reply["id"] = header.get("id")
        return reply, out_blobs

    def do_import(self, name: str, forbidden: list) -> None:
        self.name = name
        self.filename = os.path.join(os.getcwd(), name + ".py")
        sys.meta_path.insert(0, PolicyFinder(name, forbidden))
        sys.path.insert(0, os.getcwd())
        self.module = importlib.import_module(name)

    def function(self, name: str):
        try:
            function = getattr(self.module, name)
        except AttributeError:
            function = None
        if not callable(function):
            raise MissingFunction(f"{self.name} has no function {name}()"
                                  + (" (the name is not a function)" if function is not None else ""))
        return function

    def do_call(self, header: dict, *args, **kwargs):
        return self.function(header["function"])(*args, **kwargs)

    def do_keras_json(self, header: dict, **kwargs):
        _pin_tensorflow_threads()
        text = self.function(header["builder"])(**kwargs).to_json()
        if type(text) is not str:
            raise TypeError(f"model.to_json() returned {type_name(text)}, expected str")
        return text

    def do_keras_predict(self, header: dict, x_eval, x_train=None, y_train=None):
        _pin_tensorflow_threads()
        model = self.function(header["builder"])()
        if header.get("weights"):
            model.load_weights(os.path.join(os.getcwd(), header["weights"]))
        if x_train is not None:
            self.function(header["trainer"])(model, x_train, y_train)
        return model.predict(x_eval, batch_size=1000, verbose=0)


    def do_keras_train_weights(self, header: dict, x_train, y_train):
        """Train the student's model with the student's trainer; its weights travel back as arrays."""
        _pin_tensorflow_threads()
        model = self.function(header["builder"])()
        self.function(header["trainer"])(model, x_train, y_train)
        return list(model.get_weights())

    def do_keras_file_weights(self, header: dict):
        """The weights of the student's model after loading the submitted weights file, as arrays."""
        _pin_tensorflow_threads()
        model = self.function(header["builder"])()
        model.load_weights(os.path.join(os.getcwd(), header["weights"]))
        return list(model.get_weights())

    def do_keras_rebuild_predict(self, header: dict, x_eval, weights=None):
        """Predictions of the model that `header["model_json"]` describes, rebuilt by Keras in a worker that
        never imported a student module, with the submitted weights file or the given weight arrays."""
        import keras

        _pin_tensorflow_threads()
        model = keras.models.model_from_json(header["model_json"])
        if header.get("weights_file"):
            model.load_weights(os.path.join(os.getcwd(), header["weights_file"]))
        else:
            model.set_weights(weights)
        return model.predict(x_eval, batch_size=1000, verbose=0)


def answer(value: object, blobs: list) -> dict:
    """The reply for a returned value; a value that cannot be encoded travels as a foreign type name."""
    try:
        return {"status": "ok", "value": Codec(blobs).encode(value)}
    except MemoryError:
        blobs.clear()
        return {"status": "error", "kind": "memory", "type": "MemoryError", "message": ""}
    except BaseException:  # noqa: BLE001 - e.g. np.save refusing an exotic dtype: not the student's exception.
        blobs.clear()
        return {"status": "ok", "value": {"t": "foreign", "name": type_name(value) + " (not sendable as data)"}}


def _pin_tensorflow_threads() -> None:
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(2)
    except Exception:  # noqa: BLE001 - already initialized: the environment variables pinned it.
        pass


def _read_frame(fd: int) -> tuple:
    text_size, payload_size = HEAD.unpack(_read_exact(fd, HEAD.size))
    return split_frame(_read_exact(fd, text_size), _read_exact(fd, payload_size))


def _serve(worker: Worker, request_fd: int, reply_fd: int) -> None:
    """Answer requests until the trusted side sends ``exit`` or closes the pipe; never returns."""
    while True:
        try:
            header, blobs = _read_frame(request_fd)
        except EOFError:
            os._exit(EXIT_PIPE_CLOSED)
        if header.get("op") == "exit":
            os._exit(0)
        if header.get("op") == "student_end":
            os._exit(EXIT_STUDENT_END)
        reply, blobs = worker.handle(header, blobs)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001, S110 - the student may have replaced or closed the stream.
                pass
        _write_all(reply_fd, frame_bytes(reply, blobs))


def _children() -> list:
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as handle:
                pids += [int(pid) for pid in handle.read().split()]
        except (OSError, ValueError):
            continue
    return pids


def _end_strays(whole_box: bool) -> None:
    """Kill what the last child left running. As the children's subreaper this process inherits every
    orphan they leave, so killing its own children until none is left ends them all. With `whole_box` (this
    process is the init of a PID namespace that is the sandbox's) one ``kill(-1)`` does it, with no /proc
    to read."""
    import time

    for _ in range(1000):
        if whole_box:
            try:
                os.kill(-1, 9)
            except ProcessLookupError:
                return
            time.sleep(0.0005)
            continue
        strays = _children()
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def _wipe(folder: str) -> None:
    """Empty `folder` (the worker's private tmp dir), so that nothing a child wrote reaches the next one, and
    set its times to now: a child could otherwise leave a time of its choosing in them."""
    import shutil

    for entry in os.scandir(folder):
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            continue
    try:
        os.utime(folder)
    except OSError:
        pass


#: System V IPC: each kind's control call, its *_INFO command (the highest index in use) and *_STAT_ANY (the
#: object at an index, whatever its permissions).
SYSV_KINDS = (("shmctl", 14, 15), ("semctl", 19, 20), ("msgctl", 12, 13))
IPC_RMID = 0
#: A child that found the request pipe closed exits with this code, and its zygote then ends too.
EXIT_PIPE_CLOSED = 3
#: A child that read ``student_end`` exits with this code; its zygote then ends, and the lane cleans the box.
EXIT_STUDENT_END = 4


def _remove_sysv(libc) -> None:
    """Remove the System V shared memory segments, semaphore sets and message queues this uid owns (in a
    bubblewrap box, all of them are the box's: its IPC namespace is its own). They outlive their maker."""
    import ctypes

    buffer = ctypes.create_string_buffer(1024)
    for name, info, stat_any in SYSV_KINDS:
        control = getattr(libc, name)

        def call(index, command, argument, control=control, sem=name == "semctl"):
            return control(index, 0, command, argument) if sem else control(index, command, argument)

        for index in range(call(0, info, buffer) + 1):
            ident = call(index, stat_any, buffer)
            if ident >= 0 and struct.unpack_from("I", buffer, 4)[0] == os.getuid():  # ipc_perm.uid
                call(ident, IPC_RMID, None)


def _reap_unaccounted(libc) -> None:
    """From now on the kernel reaps this process's children itself (SIGCHLD's SA_NOCLDWAIT) and queues their
    ends as blocked SIGCHLD signals, read with `_child_end`. A child reaped by ``wait`` adds its CPU time,
    page faults and I/O to its parent's record in /proc, which every worker can read: a worker could leave
    a message there for the next test's worker. One the kernel reaps adds nothing."""
    import ctypes
    import signal

    class SigAction(ctypes.Structure):  # glibc's struct sigaction
        _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ulong * 16), ("flags", ctypes.c_int),
                    ("restorer", ctypes.c_void_p)]

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    # SA_NOCLDWAIT | SA_NOCLDSTOP: no zombie, and no signal when a child is only stopped.
    if libc.sigaction(signal.SIGCHLD, ctypes.byref(SigAction(handler=0, flags=3)), None) != 0:
        raise OSError(ctypes.get_errno(), "sigaction(SIGCHLD, SA_NOCLDWAIT) failed")


def _child_end(pid: int) -> int | None:
    """Wait until child `pid` has ended; its exit code, or minus the signal that killed it, or None when its
    SIGCHLD was lost (a standard signal is not queued twice: an orphan that died at the same moment)."""
    import select
    import signal

    try:
        gone = os.pidfd_open(pid)
    except (AttributeError, OSError):  # Python or Linux without pidfds, or the child is already gone.
        gone = None
    try:
        while True:
            info = signal.sigtimedwait({signal.SIGCHLD}, 0.5)
            if info is not None and info.si_pid == pid and info.si_code in (1, 2, 3):  # exited, killed, dumped
                return info.si_status if info.si_code == 1 else -info.si_status
            if info is None and (gone is None or select.select([gone], [], [], 0)[0]):
                return None
    finally:
        if gone is not None:
            os.close(gone)


def _drain_child_ends() -> None:
    import signal

    while signal.sigtimedwait({signal.SIGCHLD}, 0) is not None:
        pass


def _clean_box(libc, folders: list, whole_box: bool, sysv: bool) -> None:
    """Kill what the last child left running, empty `folders`, remove the System V IPC objects (`sysv`), and
    take the ends of the processes killed, so that the next child's cannot be lost behind them."""
    _end_strays(whole_box)
    for folder in folders:
        if os.path.isdir(folder):
            _wipe(folder)
    if sysv:
        _remove_sysv(libc)
    _drain_child_ends()


def _zygote(request_fd: int, reply_fd: int, wipe: list) -> None:
    """Keep one fresh worker ready for every test, and report each one's end with a ``child_exit`` frame.

    The student's code runs only in the workers: this process imported numpy, compiled the submission's
    module files once (`precompile`: parsed, never run), reads no request, and is not dumpable, so a worker
    (same uid) can neither trace it nor read its memory.
    When a worker has ended, this process kills what it left running (it is the workers' subreaper, so every
    orphan comes back to it), empties the folders in `wipe` (the private tmp dir, and under bubblewrap the
    sandbox's own /dev/shm), removes its uid's System V IPC objects ("box" or "sysv" in `wipe`), and forks the
    next worker, which waits for its first request. The kernel reaps the workers (`_reap_unaccounted`), so
    a test starts from the same state whatever the tests before it did, and finds no trace of them.
    """
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    _reap_unaccounted(libc)
    folders = [folder for folder in wipe if folder not in ("box", "sysv")]
    whole_box, sysv = "box" in wipe, "box" in wipe or "sysv" in wipe
    finder = PrecompiledFinder(precompile(os.getcwd()))
    sys.meta_path.insert(sys.meta_path.index(importlib.machinery.PathFinder), finder)
    # The workers put the working folder first on sys.path; its finder (a cached listing of the folder,
    # checked against its mtime) is made once here instead of in every worker: 0.6 ms a test.
    sys.path.insert(0, os.getcwd())
    for name in finder.compiled:
        importlib.machinery.PathFinder.find_spec(name)
    del sys.path[0]
    while True:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # A worker waits for its own children as usual.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            _serve(Worker(), request_fd, reply_fd)
        code = _child_end(pid)
        _clean_box(libc, folders, whole_box, sysv)
        if code in (EXIT_PIPE_CLOSED, EXIT_STUDENT_END):
            os._exit(0)
        _write_all(reply_fd, frame_bytes({"op": "child_exit", "code": code}, []))


def _lane(request_fd: int, reply_fd: int, wipe: list) -> None:
    """Serve one student after another in this box, whose PID and IPC namespaces' init this process is.

    For each ``student`` request it forks a zygote (`_zygote`), which compiles the submission folder as it is
    now (the trusted side puts each student's files there in turn) and serves that student's tests. When the
    zygote has ended, this process cleans the box as a zygote does between tests (every other process
    killed, the folders in `wipe` emptied, every System V IPC object removed) and writes ``student_done``.
    It never compiles or imports a student's file, so nothing one student's zygote held reaches the next.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    _reap_unaccounted(libc)
    folders = [folder for folder in wipe if folder not in ("box", "sysv")]
    while True:
        try:
            header, _ = _read_frame(request_fd)
        except EOFError:
            os._exit(0)
        if header.get("op") == "ping":
            _write_all(reply_fd, frame_bytes({"op": "pong"}, []))
            continue
        if header.get("op") != "student":
            os._exit(EXIT_PIPE_CLOSED)  # Not the lane protocol: the trusted side replaces this box.
        pid = os.fork()
        if pid == 0:
            _zygote(request_fd, reply_fd, wipe)
        code = _child_end(pid)
        _clean_box(libc, folders, True, True)
        _write_all(reply_fd, frame_bytes({"op": "student_done", "code": code}, []))


def main(argv: list) -> None:
    request_fd, reply_fd = int(argv[1]), int(argv[2])
    mode, wipe = argv[3], [folder for folder in argv[4].split(os.pathsep) if folder != "-"]
    sys.path.extend(argv[5:])
    # A zygote (and a lane's) serves numpy modules only.
    filtered = install_seccomp(seccomp_program(numpy_only=mode in ("zygote", "lane")))
    _write_all(reply_fd, frame_bytes({"op": "ready", "pid": os.getpid(), "seccomp": filtered}, []))
    if mode == "lane":
        _lane(request_fd, reply_fd, wipe)
    if mode == "zygote":
        _zygote(request_fd, reply_fd, wipe)
    sys.meta_path.insert(0, LazyFinder())
    _serve(Worker(), request_fd, reply_fd)


if __name__ == "__main__":
    main(sys.argv)
