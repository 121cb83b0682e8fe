"""The lesson notebooks run top to bottom in the student bundle with the solutions in, and stop on the stubs.

Each notebook is the jupytext py:percent source in `lessons/`, turned into `lessons/*.ipynb` by
`convkit release`, executed here with nbclient in a `python3` kernel. The LeNet-5 lesson trains on 512
images (`CONVKIT_LESSON_IMAGES`), so the run stays short.
"""

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import course, release
from autograder.stubs import ROOT

LESSONS = sorted(path.stem for path in (ROOT / "lessons").glob("lesson*.py"))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """Two bundles: the stubs as released, and the same with every reference solution copied in."""
    stubs = tmp_path_factory.mktemp("lessons") / "stubs"
    release.write_release(stubs)
    solved = stubs.parent / "solved"
    shutil.copytree(stubs, solved)
    for name in course.names():
        shutil.copyfile(ROOT / "solutions" / f"{name}.py", solved / "exercises" / f"{name}.py")
    return {"stubs": stubs, "solved": solved}


def execute(notebook: Path) -> nbformat.NotebookNode:
    """Run every cell of `notebook` in a fresh kernel started in its folder; CellExecutionError on failure."""
    os.environ["CONVKIT_LESSON_IMAGES"] = "512"
    node = nbformat.read(notebook, as_version=4)
    NotebookClient(node, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    return node


def test_there_is_one_lesson_per_exercise():
    assert [name.split("_", 1)[1] for name in LESSONS] == [name.split("_", 1)[1] for name in course.names()]
    assert not any(name.startswith("ex") for name in LESSONS), "exNN_*.ipynb is the notebook hand-in name"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_runs_with_the_solutions_and_draws_figures(bundles, lesson):
    node = execute(bundles["solved"] / "lessons" / f"{lesson}.ipynb")
    outputs = [output for cell in node.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    images = [o for o in outputs if {"image/png", "image/gif"} & set(o.get("data", {}))]
    assert images, f"{lesson} drew no figure inline"
    assert any("passed" in o.get("text", "") for o in outputs), "the public checks did not run"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_stops_on_the_stubs_at_the_first_unwritten_function(bundles, lesson):
    with pytest.raises(CellExecutionError, match="NotImplementedError"):
        execute(bundles["stubs"] / "lessons" / f"{lesson}.ipynb")
