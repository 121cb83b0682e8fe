"""Intake: find the students of a class folder and copy each one's allowlisted files into a scratch dir.

A class is a folder; each student is a sub-folder or a `.zip` named by the student id. Only the exercise
modules (`ex01_convolution.py` ...) and `lenet5.weights.h5` are copied, from the top level or from one
wrapping folder (a zip of `alice/ex01_convolution.py` is common). Everything else is listed as a warning and
never copied, so a submitted `conftest.py`, `sitecustomize.py`, `numpy.py` or `.pth` file can do nothing.

Zips are read member by member with bounded reads: absolute paths, `..` components, symlinks, too many
members and oversized members are refused with `InvalidSubmission` before anything is written.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.stubs import EXERCISE_NAMES

WEIGHTS_FILE = "lenet5.weights.h5"
ALLOWED_FILES = tuple(f"{name}.py" for name in EXERCISE_NAMES) + (WEIGHTS_FILE,)
MAX_MODULE_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 32 << 20
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL_BYTES = 256 << 20
MAX_WARNINGS_LISTED = 20
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


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


def discover(class_dir: Path, reserved: tuple[str, ...] = ()) -> tuple[list[Student], list[str]]:
    """The students of a class folder, sorted by id, and warnings about entries that are not students.

    `reserved` names the grader's own output files and folders, which no student id may take.
    """
    class_dir = Path(class_dir)
    if not class_dir.is_dir():
        raise FileNotFoundError(f"class folder {class_dir} does not exist or is not a folder")
    students: dict[str, Student] = {}
    warnings = []
    for entry in sorted(class_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        is_zip = entry.suffix == ".zip" and not entry.is_dir()
        student_id = entry.stem if is_zip else entry.name
        if entry.is_symlink() or not (entry.is_dir() or is_zip):
            warnings.append(f"{entry.name}: not a student folder or .zip; ignored")
            continue
        if not _STUDENT_ID.match(student_id):
            warnings.append(f"{entry.name}: a student id uses letters, digits and . _ @ + - only; ignored")
            continue
        if student_id in reserved:
            warnings.append(f"{entry.name}: the student id {student_id} is the name of a file the grader writes; "
                            "rename the entry; ignored")
            continue
        if student_id in students:
            warnings.append(f"{entry.name}: student {student_id} also has {students[student_id].path.name}; "
                            "the folder is graded, the zip ignored")
            if is_zip:
                continue
        students[student_id] = Student(student_id, entry)
    return sorted(students.values(), key=lambda s: s.id), warnings


def _size_limit(name: str) -> int:
    return MAX_WEIGHTS_BYTES if name == WEIGHTS_FILE else MAX_MODULE_BYTES


def _place(parts: tuple[str, ...], wrapper: str | None) -> str | None:
    """The allowlisted file name a relative path stands for, or None when it is not one."""
    if len(parts) == 2 and parts[0] == wrapper:
        parts = parts[1:]
    if len(parts) == 1 and parts[0] in ALLOWED_FILES:
        return parts[0]
    return None


def _wrapper(paths: list[tuple[str, ...]]) -> str | None:
    """The single top-level folder a submission is wrapped in, if the exercise files sit there."""
    tops = {p[0] for p in paths if len(p) > 1}
    loose = [p for p in paths if len(p) == 1 and p[0] in ALLOWED_FILES]
    if len(tops) == 1 and not loose:
        return tops.pop()
    return None


def _ignored_warning(names: list[str]) -> list[str]:
    """The warnings for ignored paths: exercise files out of place apart from files that are none."""
    misplaced = [name for name in names if PurePosixPath(name).name in ALLOWED_FILES]
    others = [name for name in names if name not in misplaced]
    groups = [("ignored (an exercise file, but in a sub-folder: put the exercise files at the top of the "
               "submission, or all in one folder)", misplaced), ("ignored (not an exercise file)", others)]
    warnings = []
    for why, group in groups:
        if group:
            listed = ", ".join(group[:MAX_WARNINGS_LISTED])
            more = f" and {len(group) - MAX_WARNINGS_LISTED} more" if len(group) > MAX_WARNINGS_LISTED else ""
            warnings.append(f"{why}: {listed}{more}")
    return warnings


def _copy_bounded(source, target: Path, limit: int, name: str) -> None:
    """Copy a binary stream to `target`, refusing it when it is larger than `limit` bytes."""
    with open(target, "wb") as out:
        copied = 0
        while chunk := source.read(1 << 16):
            copied += len(chunk)
            if copied > limit:
                raise InvalidSubmission(f"{name} is larger than the {limit >> 20} MB allowed")
            out.write(chunk)


def _from_folder(folder: Path, scratch: Path) -> Intake:
    intake = Intake()
    paths: dict[tuple[str, ...], Path] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        for name in sorted(files) + sorted(d for d in dirs if (Path(root) / d).is_symlink()):
            paths[(rel_root / name).parts] = Path(root) / name
            if len(paths) > MAX_ZIP_MEMBERS:
                raise InvalidSubmission(f"more than {MAX_ZIP_MEMBERS} files in the submission folder")
        dirs[:] = [d for d in dirs if not d.startswith(".") and len(rel_root.parts) < 3]
    wrapper = _wrapper(list(paths))
    ignored = []
    for parts, path in sorted(paths.items()):
        name = _place(parts, wrapper)
        if name is None:
            ignored.append("/".join(parts))
            continue
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidSubmission(f"{'/'.join(parts)} is a link or special file, not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as source:
            _copy_bounded(source, scratch / name, _size_limit(name), name)
        intake.files.append(name)
    intake.warnings += _ignored_warning(ignored)
    return intake


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    name = info.filename
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise InvalidSubmission(f"zip member {name!r} has an absolute or Windows path")
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in parts):
        raise InvalidSubmission(f"zip member {name!r} points outside the submission ('..')")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InvalidSubmission(f"zip member {name!r} is a symbolic link")
    return parts


def _from_zip(archive: Path, scratch: Path) -> Intake:
    intake = Intake()
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise InvalidSubmission(f"{archive.name} is not a readable zip file ({error})") from None
    with bundle:
        members = bundle.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise InvalidSubmission(f"the zip holds {len(members)} members; at most {MAX_ZIP_MEMBERS} are accepted")
        if sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
            raise InvalidSubmission(f"the zip unpacks to more than {MAX_ZIP_TOTAL_BYTES >> 20} MB")
        files = [(m, _member_parts(m)) for m in members if not m.is_dir()]
        wrapper = _wrapper([parts for _, parts in files if parts[0] != "__MACOSX"])
        ignored = []
        for member, parts in files:
            name = _place(parts, wrapper)
            if name is None:
                ignored.append(member.filename)
                continue
            if (scratch / name).exists():
                raise InvalidSubmission(f"the zip holds {name} twice")
            if member.file_size > _size_limit(name):
                raise InvalidSubmission(f"{name} is larger than the {_size_limit(name) >> 20} MB allowed")
            try:
                with bundle.open(member) as source:
                    _copy_bounded(source, scratch / name, _size_limit(name), name)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
                raise InvalidSubmission(f"zip member {member.filename!r} cannot be read ({error})") from None
            intake.files.append(name)
        intake.warnings += _ignored_warning(ignored)
    intake.files.sort()
    return intake


def take_in(student: Student, scratch: Path) -> Intake:
    """Copy a student's allowlisted files into the empty folder `scratch` (readable by the sandbox).

    Raises `InvalidSubmission` and leaves `scratch` empty when the submission cannot be taken in safely.
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
    for name in intake.files:
        os.chmod(scratch / name, 0o644)
    os.chmod(scratch, 0o755)
    return intake


def remove_scratch(scratch: Path) -> None:
    """Delete a scratch folder and everything in it."""
    shutil.rmtree(scratch, ignore_errors=True)
