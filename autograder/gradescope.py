"""Gradescope: `convkit gradescope OUT_DIR` writes an autograder zip that runs convkit's sandboxed grader.

Gradescope runs `setup.sh` once per autograder image and `run_autograder` once per submission, with the
student's files in `/autograder/submission` and the results expected in `/autograder/results/results.json`.
Unlike an Otter zip, which runs the tests inside the student's own Python kernel, this zip grades with the
trusted grader: student code runs in convkit's sandbox worker and only data comes back, so patching the test
runner or exiting early gains nothing. `CONVKIT_AUTOGRADER_ROOT` replaces `/autograder` (for testing).

run_autograder runs the kit from the zip's own copy (`source/convkit`, first on the module path); the
interpreter (`/opt/convkit`, or `CONVKIT_PYTHON`) only provides the dependencies. So a fake /autograder tree
on the instructor's machine runs exactly the files Gradescope will run, never the instructor's checkout.
Each test's output is HTML (the check's message, escaped, and the picture of a wrong answer), and each test
has the visibility chosen when the zip was built.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

from autograder import __version__, course, scratch
from autograder.grading import batch, feedback
from autograder.results import DEFAULT_VISIBILITY, check_visibility, gradescope_results, load_student_result
from autograder.stubs import ROOT

ZIP_NAME = "convkit-gradescope.zip"
CONFIG_NAME = "convkit-gradescope.json"
SOURCE_ITEMS = ("autograder", "exercises", "solutions", "datasets", "pyproject.toml", "README.md")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# bubblewrap gives convkit's sandbox its namespaces layer; python3-venv and pip install the kit.
apt-get install -y -qq bubblewrap python3 python3-pip python3-venv >/dev/null
python3 -m venv /opt/convkit
/opt/convkit/bin/pip install -q /autograder/source/convkit
# Only the dependencies stay: run_autograder grades with the zip's copy, the one whose reference solutions
# and hidden tests the grader closes to the sandbox uids; an installed second copy would stay readable.
/opt/convkit/bin/pip uninstall -q -y convkit
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission.
set -euo pipefail
# Paths are made absolute before the `cd` below (a venv's python is a link that must stay unresolved).
root="$(realpath -m "${CONVKIT_AUTOGRADER_ROOT:-/autograder}")"
python="${CONVKIT_PYTHON:-/opt/convkit/bin/python}"
case "$python" in */*) python="$(realpath -ms "$python")" ;; esac
kit="$root/source/convkit"
# The MNIST test files for the LeNet accuracy tests travel in the zip (none with --lenet skip).
export CONVKIT_DATA_DIR="$(realpath -m "${CONVKIT_DATA_DIR:-$kit/datasets}")"
# The zip's copy of the kit comes first on the module path (the working folder of `-m`, then PYTHONPATH),
# whatever the interpreter has installed.
export PYTHONPATH="$kit${PYTHONPATH:+:$PYTHONPATH}"
cd "$kit"
exec "$python" -m autograder.gradescope "$root"
"""


def _copy_source(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.gz", "*.npz", "*.egg-info")
    for item in SOURCE_ITEMS:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / item)


def write_zip(out_dir: Path, *, lenet: str = course.DEFAULTS.lenet,
              timeout_s: float = course.DEFAULTS.timeout_s, visibility: str = DEFAULT_VISIBILITY) -> Path:
    """Write the Gradescope autograder zip into `out_dir`; returns its path.

    `visibility` (one of `results.VISIBILITIES`) is stored in the zip's settings file and given to every test.
    """
    from autograder.otter import export as otter

    check_visibility(visibility)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lenet = otter.lenet_mode_with_data(lenet, f"{ZIP_NAME} is built")
    with scratch.folder("gradescope-zip") as tmp:
        source = tmp / "convkit"
        _copy_source(source)
        for name, path in otter.mnist_files(lenet).items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
        archive = out_dir / ZIP_NAME
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16
                bundle.writestr(info, text)
            bundle.writestr(CONFIG_NAME, json.dumps({"lenet": lenet, "timeout_s": timeout_s,
                                                         "visibility": visibility}, indent=2))
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    bundle.write(path, Path("convkit") / path.relative_to(source))
    return archive


def grade_submission(root: Path) -> dict:
    """Grade `root/submission` with the sandboxed grader and write `root/results/results.json`."""
    root = Path(root)
    config_path = root / "source" / CONFIG_NAME
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    visibility = check_visibility(config.get("visibility", DEFAULT_VISIBILITY))
    with scratch.folder("gradescope") as tmp:
        class_dir, out_dir = tmp / "class", tmp / "out"
        # Links are copied as links, so the intake refuses them instead of following them.
        shutil.copytree(root / "submission", class_dir / "submission", symlinks=True)
        options = batch.BatchOptions(out_dir=out_dir, lenet=config.get("lenet", "weights"),
                                     timeout_s=float(config.get("timeout_s", course.DEFAULTS.timeout_s)))
        results = batch.grade_class(class_dir, options)
        graded = load_student_result(out_dir / "submission" / course.RESULTS_JSON)
        if graded is not None:
            data = gradescope_results(graded, visibility=visibility,
                                      render_html=feedback.GradescopeHtml(out_dir / "submission"))
        else:
            data = {"score": 0, "output": f"convkit could not grade this submission: {results[0].status}",
                    "output_format": "text", "visibility": "visible", "tests": []}
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(data, indent=2))
    return data


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else os.environ.get("CONVKIT_AUTOGRADER_ROOT", "/autograder"))
    from autograder.sandbox import isolation

    # Gradescope shows this output to the instructor only (stdout_visibility is left at its default, hidden):
    # the isolation layers this image gives, and what each missing one allows a submission to do.
    try:
        print(isolation.check_config()[1], flush=True)
    except isolation.IsolationError as error:
        print(f"isolation: {error}", flush=True)
    data = grade_submission(root)
    print(f"convkit {__version__} from {ROOT}: {data.get('score')} points written to "
          f"{root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
