"""Gradebooks a learning-management system imports as they are, written from a graded output folder.

- Canvas (`canvas`): the gradebook importer's CSV (instructure/canvas-lms `lib/gradebook_importer.rb`): the
  first column contains "Student", the second "ID", then "SIS User ID", "SIS Login ID" and a column
  containing "Section"; then one column per assignment titled `Title (id)`; the second row, starting with
  "Points Possible", gives each assignment's maximum. By default one column holds the total, since a course
  usually has one Canvas assignment per homework and a column per exercise would create six assignments;
  `per_exercise=True` writes one column per exercise instead.
- Moodle (`moodle`): Moodle's "Import grades from CSV" maps one column to a user field (username, email or
  ID number) and the others to grade items; the file has that key column, one column per exercise and the
  total.
- Gradescope (`gradescope-csv`): Name, SID, Email, one column per exercise and Total Score.

A roster (a CSV exported from the LMS) maps each student folder name to its LMS identity. A folder name is
matched, case-insensitively, against the roster's identity columns (SIS Login ID, SIS User ID, login,
username, email or its part before "@", ID, Student/Name). An unmatched student is still written, with the
folder name as the identity (Canvas's SIS Login ID, Moodle's key), so the LMS's import shows it as an unknown
student to resolve, and listed in `unmatched.txt` beside the gradebook: a grade
is never dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import GRADES_CSV
from autograder.results import write_atomic
from autograder.stubs import EXERCISE_NAMES

FORMATS = ("canvas", "moodle", "gradescope-csv")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_KEYS = ("username", "email", "idnumber")
UNMATCHED = "unmatched.txt"
#: Roster columns a folder name may equal, in the order they are tried (lower case).
IDENTITY_COLUMNS = ("sis login id", "sis user id", "login_id", "login", "username", "user", "email",
                    "idnumber", "id number", "sid", "id", "student", "name")


@dataclass
class Gradebook:
    """What an export wrote: the file, and the students the roster did not match (in grades.csv order)."""

    path: Path
    rows: int
    unmatched: list[str] = field(default_factory=list)


def read_grades(out_dir: Path) -> tuple[list[dict[str, str]], dict[str, float]]:
    """grades.csv's rows, and each exercise's (and the total's) points possible: the largest in the class.

    A student whose exercise was not run has less possible; the class's maximum is the assignment's.
    """
    path = Path(out_dir) / GRADES_CSV
    if not path.is_file():
        raise ValueError(f"out_dir: {out_dir} holds no {GRADES_CSV}; run `convkit grade --out {out_dir}` first")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    possible = {"total": max((float(r["possible"]) for r in rows), default=0.0)}
    # Each exercise's maximum comes from the students' results.json when present, else from a full score.
    for name in EXERCISE_NAMES:
        possible[name] = _exercise_possible(Path(out_dir), rows, name)
    return rows, possible


def _exercise_possible(out_dir: Path, rows, name: str) -> float:
    from autograder.results import load_student_result

    best = 0.0
    for row in rows:
        result = load_student_result(out_dir / row["student"] / "results.json")
        if result is not None:
            best = max(best, result.exercise_points()[name][1])
    return best


def read_roster(path: Path | None) -> list[dict[str, str]]:
    """The roster's rows with lower-cased, stripped column names; [] without a roster."""
    if path is None:
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(handle)]
    # Canvas's own export has a "Points Possible" row and test students; neither is a person to match.
    return [row for row in rows if not row.get("student", "").startswith("Points Possible")]


def match(student: str, roster: list[dict[str, str]]) -> dict[str, str] | None:
    """The roster row whose identity column equals the folder name (case-insensitive), or None."""
    wanted = student.strip().lower()
    for column in IDENTITY_COLUMNS:
        for row in roster:
            value = row.get(column, "").lower()
            if value and (value == wanted or (column == "email" and value.split("@")[0] == wanted)):
                return row
    return None


def export(kind: str, out_dir, dest: Path | None = None, roster: Path | None = None, *,
           assignment: str = "convkit", per_exercise: bool = False, key: str = "username") -> Gradebook:
    """Write the `kind` gradebook ("canvas", "moodle" or "gradescope-csv") of the graded folder `out_dir`.

    `dest` defaults to `out_dir/<kind>-gradebook.csv`. `assignment` is the Canvas column title, with its
    Canvas id in parentheses when known ("Homework 3 (1234)"); `key` is Moodle's identity column.
    """
    if kind not in FORMATS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(FORMATS)}")
    if key not in MOODLE_KEYS:
        raise ValueError(f"key: {key!r} is not one of {', '.join(MOODLE_KEYS)}")
    out_dir = Path(out_dir)
    rows, possible = read_grades(out_dir)
    people = read_roster(roster)
    dest = Path(dest) if dest else out_dir / f"{kind}-gradebook.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    unmatched = []
    columns = list(EXERCISE_NAMES) if per_exercise or kind != "canvas" else ["total"]
    if kind == "canvas":
        titles = [f"{assignment} {name}" if per_exercise else assignment for name in columns]
        writer.writerow(CANVAS_HEADER + titles)
        writer.writerow(["Points Possible", "", "", "", "", *(f"{possible[c]:g}" for c in columns)])
    elif kind == "moodle":
        writer.writerow([key, *EXERCISE_NAMES, "total"])
    else:
        writer.writerow(["Name", "SID", "Email", *EXERCISE_NAMES, "Total Score"])
    for row in rows:
        person = match(row["student"], people) if people else None
        if person is None:
            unmatched.append(row["student"])
            person = {}
        if kind == "canvas":
            scores = [row[c] for c in columns]
            writer.writerow([person.get("student") or person.get("name") or row["student"], person.get("id", ""),
                             person.get("sis user id", ""), person.get("sis login id") or row["student"],
                             person.get("section", ""), *scores])
        elif kind == "moodle":
            identity = person.get(key) or (person.get("email") if key == "email" else "") or row["student"]
            writer.writerow([identity, *(row[n] for n in EXERCISE_NAMES), row["total"]])
        else:
            writer.writerow([person.get("name") or person.get("student") or row["student"],
                             person.get("sid") or person.get("sis user id", ""), person.get("email", ""),
                             *(row[n] for n in EXERCISE_NAMES), row["total"]])
    write_atomic(dest, buffer.getvalue())
    if people:
        write_atomic(dest.parent / UNMATCHED, "".join(f"{name}\n" for name in unmatched))
    return Gradebook(dest, len(rows), unmatched if people else [])
