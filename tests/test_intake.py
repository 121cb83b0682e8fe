"""Intake: students are found, only allowlisted files are copied, unsafe zips are refused (bad submissions 18, 35)."""

import json
import os
import stat
import struct
import zipfile

import pytest

from autograder.grading import intake


def write(path, text="x = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                bundle.writestr(data, b"target")
            else:
                bundle.writestr(name, data)
    return path


def test_it_finds_folders_and_zips_sorted_and_warns_about_other_entries(tmp_path):
    write(tmp_path / "bob" / "ex01_convolution.py")
    make_zip(tmp_path / "alice.zip", {"ex02_padding.py": "y = 2\n"})
    write(tmp_path / "notes.txt")
    students, warnings = intake.discover(tmp_path)
    assert [s.id for s in students] == ["alice", "bob"]
    assert any("notes.txt" in w for w in warnings)


def test_a_student_id_that_names_one_of_the_graders_output_files_is_refused(tmp_path):
    write(tmp_path / "report.html" / "ex01_convolution.py")
    make_zip(tmp_path / "grades.csv.zip", {"ex01_convolution.py": "y = 2\n"})
    write(tmp_path / "bob" / "ex01_convolution.py")
    students, warnings = intake.discover(tmp_path, reserved=("grades.csv", "report.html"))
    assert [s.id for s in students] == ["bob"]
    assert sum("is the name of a file the grader writes" in w for w in warnings) == 2


def test_a_folder_and_a_zip_for_the_same_student_keep_the_folder(tmp_path):
    write(tmp_path / "alice" / "ex01_convolution.py")
    make_zip(tmp_path / "alice.zip", {"ex01_convolution.py": "z = 3\n"})
    students, warnings = intake.discover(tmp_path)
    assert [(s.id, s.path.name) for s in students] == [("alice", "alice")]
    assert any("alice.zip" in w for w in warnings)


def test_only_exercise_files_are_copied_and_the_rest_is_listed(tmp_path):
    folder = tmp_path / "class" / "eve"
    write(folder / "ex01_convolution.py", "A = 1\n")
    for name in ("conftest.py", "pytest.ini", "sitecustomize.py", "numpy.py", "evil.pth"):
        write(folder / name)
    taken = intake.take_in(intake.Student("eve", folder), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py"]
    assert sorted(p.name for p in (tmp_path / "scratch").iterdir()) == ["ex01_convolution.py"]
    assert "conftest.py" in taken.warnings[0] and "numpy.py" in taken.warnings[0]


def test_files_inside_one_wrapping_folder_are_found(tmp_path):
    archive = make_zip(tmp_path / "ann.zip", {"ann/ex01_convolution.py": "A = 1\n", "ann/ex04_pooling.py": "B = 2\n"})
    taken = intake.take_in(intake.Student("ann", archive), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py", "ex04_pooling.py"]
    assert (tmp_path / "scratch" / "ex04_pooling.py").read_text() == "B = 2\n"


def test_an_exercise_file_in_a_sub_folder_is_named_as_misplaced(tmp_path):
    folder = tmp_path / "class" / "eli"
    write(folder / "ex01_convolution.py", "A = 1\n")
    write(folder / "code" / "ex04_pooling.py")
    write(folder / "notes.txt")
    taken = intake.take_in(intake.Student("eli", folder), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py"]
    assert taken.warnings == [
        "ignored (an exercise file, but in a sub-folder: put the exercise files at the top of the submission, "
        "or all in one folder): code/ex04_pooling.py", "ignored (not an exercise file): notes.txt"]


@pytest.mark.parametrize("member", ["../ex01_convolution.py", "/etc/ex01_convolution.py", "a/../../x.py",
                                    "C:\\ex01_convolution.py"], ids=["dotdot", "absolute", "nested-dotdot", "windows"])
def test_zip_slip_members_are_refused(tmp_path, member):
    archive = make_zip(tmp_path / "mal.zip", {member: "x = 1\n"})
    with pytest.raises(intake.InvalidSubmission, match="outside|absolute"):
        intake.take_in(intake.Student("mal", archive), tmp_path / "scratch")
    assert list((tmp_path / "scratch").iterdir()) == []


def test_zip_symlink_members_are_refused(tmp_path):
    link = zipfile.ZipInfo("ex01_convolution.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "mal.zip", {"ex01_convolution.py": link})
    with pytest.raises(intake.InvalidSubmission, match="symbolic link"):
        intake.take_in(intake.Student("mal", archive), tmp_path / "scratch")


def test_a_zip_with_too_many_members_is_refused(tmp_path):
    members = {f"junk/{i}.txt": "" for i in range(intake.MAX_ZIP_MEMBERS + 1)}
    archive = make_zip(tmp_path / "mal.zip", members)
    with pytest.raises(intake.InvalidSubmission, match="members"):
        intake.take_in(intake.Student("mal", archive), tmp_path / "scratch")


def test_an_oversized_module_is_refused_even_when_the_zip_header_lies(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "big.zip", {"ex01_convolution.py": "#" * 5000})
    monkeypatch.setattr(intake, "MAX_MODULE_BYTES", 1000)
    with pytest.raises(intake.InvalidSubmission, match="larger than"):
        intake.take_in(intake.Student("big", archive), tmp_path / "scratch")
    # A header that understates the size is caught by the bounded copy.
    monkeypatch.setattr(zipfile.ZipInfo, "file_size", 10, raising=False)
    with pytest.raises(intake.InvalidSubmission, match="larger than"):
        intake._read_bounded(open(tmp_path / "big.zip", "rb"), 100, "ex01_convolution.py")


def test_a_file_that_is_not_a_zip_is_refused_with_its_name(tmp_path):
    fake = write(tmp_path / "zed.zip", "not a zip")
    with pytest.raises(intake.InvalidSubmission, match="zed.zip is not a readable zip"):
        intake.take_in(intake.Student("zed", fake), tmp_path / "scratch")


def test_symlinked_module_in_a_folder_is_refused(tmp_path):
    folder = tmp_path / "sly"
    folder.mkdir()
    os.symlink("/etc/passwd", folder / "ex01_convolution.py")
    with pytest.raises(intake.InvalidSubmission, match="link"):
        intake.take_in(intake.Student("sly", folder), tmp_path / "scratch")


# Hand-in shapes students really use (issue 11, item 2): each one takes the same modules.

SHAPES = {
    "flat": ["ex01_convolution.py", "ex02_padding.py"],
    "wrapped": ["alice/ex01_convolution.py", "alice/ex02_padding.py"],
    "exercises-folder": ["exercises/ex01_convolution.py", "exercises/ex02_padding.py"],
    "zipped-repository": ["repo-main/exercises/ex01_convolution.py", "repo-main/exercises/ex02_padding.py",
                          "repo-main/README.md", "repo-main/solutions/notes.py"],
}


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_accepted_shape_takes_the_same_modules(tmp_path, shape, as_zip):
    members = {name: "x = 1\n" for name in SHAPES[shape]}
    if as_zip:
        entry = make_zip(tmp_path / "alice.zip", members)
    else:
        for name, text in members.items():
            write(tmp_path / "alice" / name, text)
        entry = tmp_path / "alice"
    taken = intake.take_in(intake.Student("alice", entry), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py", "ex02_padding.py"]
    assert taken.gradable


def test_macos_junk_is_ignored_without_a_warning(tmp_path):
    archive = make_zip(tmp_path / "mac.zip", {
        "mac/ex01_convolution.py": "x = 1\n", "mac/.DS_Store": b"\0\0",
        "__MACOSX/mac/._ex01_convolution.py": b"\0\5\26\7", "mac/__pycache__/ex01_convolution.cpython-311.pyc": b"",
        "mac/.ipynb_checkpoints/ex01_convolution-checkpoint.ipynb": "{}"})
    taken = intake.take_in(intake.Student("mac", archive), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py"]
    assert taken.warnings == []


def notebook(*cells, kind="code"):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": kind, "metadata": {}, "source": c} for c in cells]})


def test_a_notebook_becomes_its_module_without_magics_or_shell_lines(tmp_path):
    text = notebook(["%matplotlib inline\n", "import numpy as np\n"],
                    "!pip install numpy\ndef f(x):\n    return 2 * x\n")
    write(tmp_path / "nb" / "ex01_convolution.ipynb", text)
    taken = intake.take_in(intake.Student("nb", tmp_path / "nb"), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py"]
    source = (tmp_path / "scratch" / "ex01_convolution.py").read_text()
    namespace = {}
    exec(compile(source, "ex01_convolution.py", "exec"), namespace)
    assert namespace["f"](3) == 6
    assert "%" not in source and "pip" not in source


def test_a_py_file_wins_over_a_notebook_of_the_same_exercise(tmp_path):
    write(tmp_path / "both" / "ex01_convolution.py", "source = 'py'\n")
    write(tmp_path / "both" / "ex01_convolution.ipynb", notebook("source = 'notebook'\n"))
    taken = intake.take_in(intake.Student("both", tmp_path / "both"), tmp_path / "scratch")
    assert taken.files == ["ex01_convolution.py"]
    assert "'py'" in (tmp_path / "scratch" / "ex01_convolution.py").read_text()
    assert any("ex01_convolution.ipynb" in w for w in taken.warnings)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"cells": 3}', "[" * 100000 + "]" * 100000],
                         ids=["not-json", "a-list", "cells-not-a-list", "deeply-nested"])
def test_a_broken_notebook_is_a_warning_not_a_crash(tmp_path, text):
    write(tmp_path / "nb" / "ex01_convolution.ipynb", text)
    taken = intake.take_in(intake.Student("nb", tmp_path / "nb"), tmp_path / "scratch")
    assert taken.files == [] and not taken.gradable
    assert any("notebook" in w for w in taken.warnings)


def test_an_encrypted_member_is_an_invalid_submission(tmp_path):
    archive = make_zip(tmp_path / "enc.zip", {"ex01_convolution.py": "x = 1\n"})
    data = bytearray(archive.read_bytes())
    # Set the "encrypted" flag bit in both the local header and the central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    archive.write_bytes(bytes(data))
    with pytest.raises(intake.InvalidSubmission, match="encrypted"):
        intake.take_in(intake.Student("enc", archive), tmp_path / "scratch")


def test_a_non_utf8_name_flagged_utf8_is_an_invalid_submission(tmp_path):
    archive = make_zip(tmp_path / "bad.zip", {"ex01_convolution.py": "x = 1\n", "caf\u00e9.txt": "y\n"})
    data = bytearray(archive.read_bytes())
    # Replace the UTF-8 bytes of the name by an invalid sequence while keeping the UTF-8 flag (bit 11).
    data = bytearray(bytes(data).replace("caf\u00e9".encode(), b"caf\xff\xfe"[:5]))
    archive.write_bytes(bytes(data))
    with pytest.raises(intake.InvalidSubmission, match="not a readable zip"):
        intake.take_in(intake.Student("bad", archive), tmp_path / "scratch")


def test_a_zip_declaring_millions_of_members_is_refused_before_its_directory_is_parsed(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "many.zip", {"ex01_convolution.py": "x = 1\n"})
    data = bytearray(archive.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8:at + 12] = struct.pack("<HH", 0xFFFE, 0xFFFE)
    archive.write_bytes(bytes(data))

    def never(*args, **kwargs):
        raise AssertionError("the central directory was parsed")
    monkeypatch.setattr(zipfile, "ZipFile", never)
    with pytest.raises(intake.InvalidSubmission, match="65534 members"):
        intake.take_in(intake.Student("many", archive), tmp_path / "scratch")


@pytest.mark.parametrize("name", ["bob\n", "bob\r", "bo\tb", "bob\x1b", "bob\n.zip"])
def test_a_student_id_with_a_control_character_is_refused_and_never_a_second_row(tmp_path, name):
    write(tmp_path / "bob" / "ex01_convolution.py")
    if name.endswith(".zip"):
        make_zip(tmp_path / name, {"ex01_convolution.py": "x = 1\n"})
    else:
        write(tmp_path / name / "ex01_convolution.py")
    students, warnings = intake.discover(tmp_path)
    assert [s.id for s in students] == ["bob"]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "\x1b" not in warnings[0]
