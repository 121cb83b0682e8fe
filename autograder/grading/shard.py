"""Grading past one machine: `convkit grade --shard K/N` grades one of N stable slices of a class, and
`convkit merge OUT... --out DIR` combines the shard outputs into what one run would have written.

A student belongs to shard `crc32(student id) mod N` (K counts from 0, as Kubernetes' JOB_COMPLETION_INDEX
does). Hashing the id, rather than slicing the sorted list by position, keeps every student in the same
shard when classmates are added or removed (a late submission, a dropped student), so a shard's output
folder stays valid for `--resume` and only the shard a new student falls into has work to do. The price is
that shards are equal only on average (for 300 students in 3 shards, about 100 +- 10 each).
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

from autograder.course import FEEDBACK_HTML, GRADES_CSV, REPORT_HTML, RESULTS_JSON
from autograder.results import StudentResult, load_student_result, write_grades_csv


def parse(text: str) -> tuple[int, int]:
    """`"K/N"` -> (K, N) with 0 <= K < N."""
    try:
        k, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"shard: {text!r} is not K/N, e.g. 0/3 for the first of three shards") from None
    if n < 1 or not 0 <= k < n:
        raise ValueError(f"shard: {text!r} needs 0 <= K < N (K counts from 0, like JOB_COMPLETION_INDEX)")
    return k, n


def shard_of(student_id: str, n: int) -> int:
    """The shard (0 .. n-1) of a student: crc32 of the id's UTF-8 bytes, mod n."""
    return zlib.crc32(student_id.encode("utf-8")) % n


def select(students: list, k: int, n: int) -> list:
    """The students (objects with an `id`) of shard k of n, in their given order."""
    return [s for s in students if shard_of(s.id, n) == k]


def merge(shard_dirs: list[Path], dest: Path) -> list[StudentResult]:
    """Copy every student folder of the shard outputs into `dest` and write grades.csv and report.html.

    A student graded in two shards with different results is an error (the shards were run on different
    classes or settings); the same student with the same results.json is taken once.
    """
    from autograder.grading import report

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    results: dict[str, StudentResult] = {}
    sources: dict[str, Path] = {}
    for shard_dir in map(Path, shard_dirs):
        if not (shard_dir / GRADES_CSV).is_file():
            raise ValueError(f"out: {shard_dir} holds no {GRADES_CSV}; is it a `convkit grade --shard` output?")
        for path in sorted(shard_dir.glob(f"*/{RESULTS_JSON}")):
            result = load_student_result(path)
            if result is None:
                continue
            if result.student in results:
                if json.loads(path.read_text()) != json.loads((sources[result.student] / RESULTS_JSON).read_text()):
                    raise ValueError(f"out: {result.student} was graded differently in "
                                     f"{sources[result.student].parent} and {shard_dir}")
                continue
            results[result.student] = result
            sources[result.student] = path.parent
    for student, folder in sources.items():
        if folder.resolve() != (dest / student).resolve():
            shutil.copytree(folder, dest / student, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(FEEDBACK_HTML))
    ordered = sorted(results.values(), key=lambda r: r.student)
    write_grades_csv(dest / GRADES_CSV, ordered)
    report.write_class_report(dest / REPORT_HTML, ordered)
    return ordered
