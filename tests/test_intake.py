"""Intake: students are found, only allowlisted files are copied, unsafe zips are refused (bad submissions 18, 35)."""

import os
import stat
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
        intake._copy_bounded(open(tmp_path / "big.zip", "rb"), tmp_path / "out", 100, "ex01_convolution.py")


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
