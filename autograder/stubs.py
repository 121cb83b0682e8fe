"""Generate the student stubs in exercises/ from the reference solutions in solutions/.

A solution file marks the code students write with a pair of comment lines::

    def correlate2d(image, kernel):
        \"\"\"...the specification...\"\"\"
        # BEGIN SOLUTION
        ...reference code...
        # END SOLUTION

Inside a function the region becomes ``raise NotImplementedError("correlate2d is not implemented yet ...")``;
a region at module level (a private helper) is dropped. Everything else, signatures and docstrings
included, is copied unchanged, so the two folders can never disagree on the specification.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder import course

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
ROOT = Path(__file__).resolve().parent.parent
EXERCISE_NAMES = course.names()
#: The kit's folders that are not packages but ship in a wheel (pyproject's package-dir maps each into
#: `autograder/`, as `autograder.lessons` and `autograder.datasets`, so no top-level name is taken).
KIT_FOLDERS = ("lessons", "datasets")
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


def make_stub(source: str, filename: str = "<solution>") -> str:
    """The student stub for one solution file's text."""
    out: list[str] = []
    function = None
    inside = False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        match = _DEF.match(line)
        if match and not inside:
            function = match.group(1)
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{filename}:{number}: {BEGIN} inside another solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if indent:
                out.append(f'{indent}raise NotImplementedError("{function} is not implemented yet: '
                           f'write it where this line stands")\n')
            continue
        if stripped == END:
            if not inside:
                raise ValueError(f"{filename}:{number}: {END} without {BEGIN}")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{filename}: {BEGIN} is never closed by {END}")
    text = "".join(out)
    # Dropping a module-level helper can leave a run of blank lines; PEP 8 allows two.
    return re.sub(r"\n{4,}", "\n\n\n", text)


def kit_folder(name: str, root: Path = ROOT) -> Path:
    """The kit's folder `name` (one of KIT_FOLDERS): `root/name` in a checkout or an editable install,
    `root/autograder/name` in an installed wheel."""
    if name not in KIT_FOLDERS:
        raise ValueError(f"{name!r} is not one of the kit's folders {KIT_FOLDERS}")
    packaged = root / "autograder" / name
    return packaged if packaged.is_dir() else root / name


def expected_stubs(root: Path = ROOT) -> dict[str, str]:
    """File name -> stub text, for every exercise in solutions/."""
    stubs = {}
    for name in EXERCISE_NAMES:
        path = root / "solutions" / f"{name}.py"
        stubs[f"{name}.py"] = make_stub(path.read_text(), str(path))
    return stubs


def stale_stubs(root: Path = ROOT) -> list[str]:
    """Names of the files in exercises/ that differ from what solutions/ generates."""
    return [name for name, text in expected_stubs(root).items()
            if not (root / "exercises" / name).is_file() or (root / "exercises" / name).read_text() != text]


def write_stubs(root: Path = ROOT) -> list[str]:
    """Regenerate exercises/ from solutions/; returns the names of the files that changed."""
    changed = stale_stubs(root)
    for name, text in expected_stubs(root).items():
        if name in changed:
            (root / "exercises" / name).write_text(text)
    return changed
