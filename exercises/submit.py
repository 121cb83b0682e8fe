"""Build `submission.zip`: exactly the files the grader takes, found in this folder, checked once.

    python -m exercises.submit            # writes submission.zip next to exercises/
    python -m exercises.submit --out my-id.zip

The grader takes the exercise modules (`exercises/ex01_convolution.py` ...) and the LeNet-5 weights that
`python -m exercises.train` saved (`lenet5.weights.h5`), and nothing else; the list comes from
`exercises/course.json`, written with the bundle from the grader's own list. The zip holds them side by
side at its top level. The public tests run once first, and the points estimate is printed
(`python -m exercises.score`); a failing test does not stop the zip from being written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

from exercises import score

BUNDLE = Path(__file__).resolve().parent.parent


def find_hand_in(root: Path = BUNDLE) -> tuple[dict[str, Path], list[str]]:
    """(file name -> path found, names missing) for every file the grader takes.

    A module is looked for in `exercises/`, the weights file in this folder and then in `exercises/`.
    """
    found, missing = {}, []
    for name in score.course()["hand_in"]:
        places = [root / "exercises" / name] if name.endswith(".py") else [root / name, root / "exercises" / name]
        path = next((place for place in places if place.is_file()), None)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    return found, missing


def write_zip(found: dict[str, Path], out: Path) -> None:
    """Write `out` with each found file at the zip's top level, under its hand-in name."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in found.items():
            archive.write(path, arcname=name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build submission.zip with the files the grader takes.")
    parser.add_argument("--out", type=Path, default=BUNDLE / "submission.zip", help="the zip to write")
    parser.add_argument("--no-tests", action="store_true", help="skip the one run of the public tests")
    args = parser.parse_args(argv)
    if args.out.suffix != ".zip":
        parser.error(f"--out must name a .zip file, got {args.out}")
    found, missing = find_hand_in()
    if not found:
        print("nothing to hand in: no exercise module was found in exercises/", file=sys.stderr)
        return 1
    if not args.no_tests:
        with tempfile.TemporaryDirectory() as scratch:
            report = Path(scratch) / "public-tests.xml"
            score.run_public_tests(report)
            if report.is_file():
                sys.stdout.write(score.score_table(str(report)) + "\n")
    write_zip(found, args.out)
    print(f"wrote {args.out} with {len(found)} files:")
    for name, path in found.items():
        print(f"  {name}  ({path.stat().st_size:,} bytes)")
    if missing:
        print("missing (they score 0 on their exercise):")
        for name in missing:
            hint = "  run `python -m exercises.train` to save it" if name.endswith(".h5") else ""
            print(f"  {name}{hint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
