"""Intake: find the students of a class folder and copy each one's allowlisted files into a scratch dir.

A class is a folder; each student is a sub-folder or a `.zip` named by the student id. Only the hand-in
files of `autograder.course` (`ex01_convolution.py` ..., `lenet5.weights.h5`) and the same modules handed in
as notebooks (`ex01_convolution.ipynb`, whose code cells form the module) are taken. They are found in one
folder of the submission, the first of: its top level, an `exercises/` folder at any depth up to
`MAX_DEPTH` (a zipped repository such as `repo-main/exercises/`), or one wrapping folder (a zip of
`alice/ex01_convolution.py`). Everything else is listed as a warning and never copied, so a submitted
`conftest.py`, `sitecustomize.py`, `numpy.py` or `.pth` file can do nothing. Junk that operating systems and
editors add (`__MACOSX/`, `.DS_Store`, `__pycache__/`, `.ipynb_checkpoints/`) is ignored silently.

Zips are read member by member with bounded reads: absolute paths, `..` components, symlinks, encrypted
members, unreadable names, too many members (counted from the end-of-central-directory record before the
directory is parsed) and oversized members are refused with `InvalidSubmission` before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import HAND_IN_FILES, NOTEBOOK_FILES, WEIGHTS_FILE

ALLOWED_FILES = HAND_IN_FILES
MAX_MODULE_BYTES = 1 << 20
MAX_NOTEBOOK_BYTES = 16 << 20
MAX_WEIGHTS_BYTES = 32 << 20
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL_BYTES = 256 << 20
MAX_WARNINGS_LISTED = 20
#: How many folders deep the exercise files may sit (`repo-main/exercises/` is two).
MAX_DEPTH = 3
#: Folder and file names that tools add on their own; ignored without a warning.
JUNK_FOLDERS = frozenset({"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"})
JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


class InvalidSubmission(Exception):
    """A submission that cannot be graded safely (a malicious or broken zip, links, oversized files).

    Cause: the message names the offending member. Remedy: the student resubmits a plain folder or zip
    holding only the exercise files.
    """


@dataclass(frozen=True)
class Student:
    """One entry of a class folder: the student id and the folder or zip holding the submission."""

    id: str
    path: Path


@dataclass
class Intake:
    """What was copied for one student, and what was ignored."""

    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def gradable(self) -> bool:
        """Whether any exercise module was taken (a weights file alone grades nothing)."""
        return any(name.endswith(".py") for name in self.files)


def discover(class_dir: Path, reserved: tuple[str, ...] = ()) -> tuple[list[Student], list[str]]:
    """The students of a class folder, sorted by id, and warnings about entries that are not students.

    `reserved` names the grader's own output files and folders, which no student id may take. An id must be
    the whole entry name (no control characters or trailing newline), so one student never has two rows.
    """
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise FileNotFoundError(f"class folder {class_dir} does not exist or is not a folder")
    students: dict[str, Student] = {}
    warnings = []
    for entry in sorted(class_dir.iterdir()):
        if entry.name.startswith(".") or entry.name in JUNK_FOLDERS or entry.name in JUNK_FILES:
            continue
        is_zip = entry.suffix.lower() == ".zip" and not entry.is_dir()
        student_id = entry.name[:-4] if is_zip else entry.name
        shown = ascii(entry.name)[1:-1]
        if entry.is_symlink() or not (entry.is_dir() or is_zip):
            warnings.append(f"{shown}: not a student folder or .zip; ignored")
            continue
        if not _STUDENT_ID.fullmatch(student_id):
            warnings.append(f"{shown}: a student id uses letters, digits and . _ @ + - only; ignored")
            continue
        if student_id in reserved:
            warnings.append(f"{shown}: the student id {student_id} is the name of a file the grader writes; "
                            "rename the entry; ignored")
            continue
        if student_id in students:
            warnings.append(f"{shown}: student {student_id} also has {students[student_id].path.name}; "
                            "the folder is graded, the zip ignored")
            if is_zip:
                continue
        students[student_id] = Student(student_id, entry)
    return sorted(students.values(), key=lambda s: s.id), warnings


def _size_limit(name: str) -> int:
    if name == WEIGHTS_FILE:
        return MAX_WEIGHTS_BYTES
    return MAX_NOTEBOOK_BYTES if name.endswith(".ipynb") else MAX_MODULE_BYTES


def _is_junk(parts: tuple[str, ...]) -> bool:
    """Whether a path is something tools add on their own (macOS resource forks, caches, checkpoints)."""
    return (any(part in JUNK_FOLDERS for part in parts[:-1]) or parts[-1] in JUNK_FILES
            or parts[-1].startswith("._"))


def _known(name: str) -> bool:
    return name in HAND_IN_FILES or name in NOTEBOOK_FILES


def _base(paths: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The one folder whose hand-in files are taken: the top level, else the shallowest `exercises/`
    folder, else a single wrapping folder; None when no accepted folder holds a hand-in file."""
    folders = {p[:-1] for p in paths if _known(p[-1]) and len(p) - 1 <= MAX_DEPTH}
    if () in folders:
        return ()
    exercises = sorted((f for f in folders if f[-1] == "exercises"), key=lambda f: (len(f), f))
    if exercises:
        return exercises[0]
    wrappers = sorted(f for f in folders if len(f) == 1)
    return wrappers[0] if len(wrappers) == 1 else None


def _placements(paths: list[tuple[str, ...]]) -> tuple[dict[tuple[str, ...], str], list[str]]:
    """Path -> the hand-in name it is taken as, and the ignored paths worth a warning.

    A module handed in both as `.py` and as `.ipynb` is taken from the `.py`; the notebook is ignored.
    """
    kept = [p for p in paths if not _is_junk(p)]
    base = _base(kept)
    chosen = {p: p[-1] for p in kept if base is not None and p[:-1] == base and _known(p[-1])}
    modules = set(chosen.values())
    for path, name in list(chosen.items()):
        if name.endswith(".ipynb") and name.removesuffix(".ipynb") + ".py" in modules:
            del chosen[path]
    ignored = ["/".join(p) for p in kept if p not in chosen]
    return chosen, ignored


def _ignored_warning(names: list[str]) -> list[str]:
    """The warnings for ignored paths: exercise files out of place apart from files that are none."""
    misplaced = [name for name in names if _known(PurePosixPath(name).name)]
    others = [name for name in names if name not in misplaced]
    groups = [("ignored (an exercise file, but in a sub-folder: put the exercise files at the top of the "
               "submission, or all in one folder)", misplaced),
              ("ignored (not an exercise file)", others)]
    warnings = []
    for why, group in groups:
        if group:
            listed = ", ".join(ascii(g)[1:-1] for g in group[:MAX_WARNINGS_LISTED])
            more = f" and {len(group) - MAX_WARNINGS_LISTED} more" if len(group) > MAX_WARNINGS_LISTED else ""
            warnings.append(f"{why}: {listed}{more}")
    return warnings


def _read_bounded(source, limit: int, name: str) -> bytes:
    """All bytes of a binary stream, refusing it when it is larger than `limit` bytes."""
    chunks, size = [], 0
    while chunk := source.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise InvalidSubmission(f"{name} is larger than the {limit >> 20} MB allowed")
        chunks.append(chunk)
    return b"".join(chunks)


def notebook_source(data: bytes) -> str:
    """The module a notebook stands for: its code cells in order, joined by blank lines.

    IPython magics and shell escapes (lines starting with `%` or `!`) are dropped, since plain Python
    cannot run them. Raises `ValueError` naming the problem when `data` is not a notebook.
    """
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValueError(f"not a readable notebook ({type(error).__name__})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook (no list of cells)")
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(line for line in source if isinstance(line, str))
        if not isinstance(source, str):
            continue
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        sources.append("\n".join(lines))
    return "\n\n".join(sources) + "\n"


def _store(data: bytes, name: str, scratch: Path, intake: Intake) -> None:
    """Write one taken file into `scratch`, converting a notebook to its module."""
    if name.endswith(".ipynb"):
        module = name.removesuffix(".ipynb") + ".py"
        try:
            text = notebook_source(data)
        except ValueError as error:
            intake.warnings.append(f"{name}: {error}; its exercise is not graded")
            return
        data, name = text.encode("utf-8"), module
        if len(data) > MAX_MODULE_BYTES:
            raise InvalidSubmission(f"the code of {module} is larger than the {MAX_MODULE_BYTES >> 20} MB allowed")
    if (scratch / name).exists():
        raise InvalidSubmission(f"the submission holds {name} twice")
    (scratch / name).write_bytes(data)
    intake.files.append(name)


def _from_folder(folder: Path, scratch: Path) -> Intake:
    intake = Intake()
    paths: dict[tuple[str, ...], Path] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        for name in sorted(files) + sorted(d for d in dirs if (Path(root) / d).is_symlink()):
            paths[(rel_root / name).parts] = Path(root) / name
            if len(paths) > MAX_ZIP_MEMBERS:
                raise InvalidSubmission(f"more than {MAX_ZIP_MEMBERS} files in the submission folder")
        dirs[:] = sorted(d for d in dirs if d not in JUNK_FOLDERS and not d.startswith(".")
                         and len(rel_root.parts) < MAX_DEPTH)
    chosen, ignored = _placements(list(paths))
    for parts, name in sorted(chosen.items()):
        path = paths[parts]
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidSubmission(f"{'/'.join(parts)} is a link or special file, not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as source:
            _store(_read_bounded(source, _size_limit(name), name), name, scratch, intake)
    intake.warnings += _ignored_warning(ignored)
    return intake


def declared_members(archive: Path) -> int:
    """The member count a zip's end-of-central-directory record declares (zip64 included), read before the
    directory itself is parsed; raises `InvalidSubmission` when there is no such record."""
    with open(archive, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_start = max(0, size - (1 << 16) - 22)
        handle.seek(tail_start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise InvalidSubmission(f"{archive.name} is not a readable zip file (no end of central directory)")
        count = struct.unpack("<H", tail[at + 10:at + 12])[0]
        locator = at - 20
        if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
            if offset + 40 > size:
                raise InvalidSubmission(f"{archive.name} is not a readable zip file (bad zip64 record)")
            handle.seek(offset)
            record = handle.read(40)
            if record[:4] != b"PK\x06\x06":
                raise InvalidSubmission(f"{archive.name} is not a readable zip file (bad zip64 record)")
            count = struct.unpack("<Q", record[32:40])[0]
    return count


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    name = info.filename
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise InvalidSubmission(f"zip member {name!r} has an absolute or Windows path")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidSubmission(f"zip member {name!r} has a control character in its name")
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in parts):
        raise InvalidSubmission(f"zip member {name!r} points outside the submission ('..')")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InvalidSubmission(f"zip member {name!r} is a symbolic link")
    return parts


#: Every error the zip reader raises on a broken or hostile archive.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
               RuntimeError, struct.error, OverflowError)


def _from_zip(archive: Path, scratch: Path) -> Intake:
    intake = Intake()
    declared = declared_members(archive)
    if declared > MAX_ZIP_MEMBERS:
        raise InvalidSubmission(f"the zip holds {declared} members; at most {MAX_ZIP_MEMBERS} are accepted")
    try:
        bundle = zipfile.ZipFile(archive)
    except _ZIP_ERRORS as error:
        raise InvalidSubmission(f"{archive.name} is not a readable zip file ({type(error).__name__}: "
                                f"{ascii(str(error))[1:-1][:200]})") from None
    with bundle:
        members = bundle.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise InvalidSubmission(f"the zip holds {len(members)} members; at most {MAX_ZIP_MEMBERS} are accepted")
        if sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
            raise InvalidSubmission(f"the zip unpacks to more than {MAX_ZIP_TOTAL_BYTES >> 20} MB")
        files = {}
        for member in members:
            if member.is_dir():
                continue
            parts = _member_parts(member)
            if parts in files:
                raise InvalidSubmission(f"the zip holds {member.filename!r} twice")
            files[parts] = member
        chosen, ignored = _placements(list(files))
        for parts, name in sorted(chosen.items()):
            member = files[parts]
            if member.flag_bits & 0x1:
                raise InvalidSubmission(f"zip member {member.filename!r} is encrypted; hand in a plain zip")
            if member.file_size > _size_limit(name):
                raise InvalidSubmission(f"{name} is larger than the {_size_limit(name) >> 20} MB allowed")
            try:
                with bundle.open(member) as source:
                    data = _read_bounded(source, _size_limit(name), name)
            except _ZIP_ERRORS as error:
                raise InvalidSubmission(f"zip member {member.filename!r} cannot be read "
                                        f"({type(error).__name__}: {ascii(str(error))[1:-1][:200]})") from None
            _store(data, name, scratch, intake)
        intake.warnings += _ignored_warning(ignored)
    intake.files.sort()
    return intake


def take_in(student: Student, scratch: Path) -> Intake:
    """Copy a student's allowlisted files into the empty folder `scratch` (readable by the sandbox).

    Notebooks arrive in `scratch` as their `.py` module. Raises `InvalidSubmission` and leaves `scratch`
    empty when the submission cannot be taken in safely.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        if student.path.is_dir():
            intake = _from_folder(student.path, scratch)
        else:
            intake = _from_zip(student.path, scratch)
    except InvalidSubmission:
        for child in scratch.iterdir():
            child.unlink()
        raise
    intake.files.sort()
    for name in intake.files:
        os.chmod(scratch / name, 0o644)
    os.chmod(scratch, 0o755)
    return intake


def remove_scratch(scratch: Path) -> None:
    """Delete a scratch folder and everything in it."""
    shutil.rmtree(scratch, ignore_errors=True)
