"""The layout shows the architecture: sub-packages import only downward, and the program that runs inside the
sandbox is reached only through the sandbox package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.stubs import ROOT

PACKAGE = ROOT / "autograder"
#: Lowest first: a module may import its own layer and the layers below it, never one above.
LAYERS = [
    {"autograder", "autograder.verdicts", "autograder.course", "autograder.results", "autograder.stubs",
     "autograder.scratch"},
    {"autograder.sandbox"},
    {"autograder.otter"},
    {"autograder.grading"},
    {"autograder.cli", "autograder.__main__", "autograder.gradescope", "autograder.validate", "autograder.release"},
]
#: The hidden suite is not a layer: pytest runs it, in the grading process or inside Otter's kernel.
SUITE = "autograder.hidden"
INSIDE = "autograder.sandbox.inside"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The `autograder...` modules a file imports, `from autograder.x import y` counted as both x and x.y."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "autograder" or name.startswith("autograder.")}


def _layer(module: str) -> int | None:
    for index, layer in reversed(list(enumerate(LAYERS))):
        if any(module == name or (name != "autograder" and module.startswith(name + ".")) for name in layer):
            return index
    return None


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str) -> bool:
    return name in MODULES


@pytest.mark.parametrize("module", [m for m in MODULES if not m.startswith(SUITE)])
def test_a_module_imports_only_its_own_layer_and_those_below(module):
    own = _layer(module)
    assert own is not None, f"{module} belongs to no layer: add it to LAYERS"
    upward = [name for name in _imports(MODULES[module]) if _is_module(name) and not name.startswith(SUITE)
              and _layer(name) > own]
    assert not upward, f"{module} imports {upward}, from a higher layer"


def test_the_program_that_runs_inside_the_sandbox_is_imported_only_by_the_sandbox_package():
    importers = [module for module, path in MODULES.items() if INSIDE in _imports(path)]
    assert importers and all(module.startswith("autograder.sandbox") for module in importers), importers


def test_the_sandbox_package_knows_nothing_of_the_course():
    for module, path in MODULES.items():
        if module.startswith("autograder.sandbox"):
            imported = {name for name in _imports(path) if _is_module(name)}
            assert not imported & {"autograder.course", "autograder.grading", "autograder.stubs"}, (module, imported)
            text = path.read_text(encoding="utf-8")
            for word in ("ex06_lenet5", "build_lenet5", "train_lenet5", "lenet5.weights.h5"):
                assert word not in text, f"{module} names {word}: the grader passes such names to the sandbox"


def test_the_layer_check_catches_an_upward_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from autograder.grading import batch\n")
    assert any(_layer(name) > _layer("autograder.sandbox.process") for name in _imports(planted) if _is_module(name))
