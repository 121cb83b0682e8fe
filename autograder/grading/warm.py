"""What every grading process needs, imported once by the server the grading processes are forked from.

Importing this module imports pytest (with the plugins grading keeps, which `pytest.main` would otherwise import in
every grading process), numpy (with `numpy.random`, which numpy imports only when first used), matplotlib (for the
pictures of wrong answers), the grading process's code, the hidden suites with their conftest, the reference
solutions and the check library; compiles feedback.md's template; and detects the sandbox's isolation layers (each
probe starts a process). It runs no student code.
"""

from __future__ import annotations

import importlib

import matplotlib.figure  # noqa: F401
import numpy.random  # noqa: F401
import pytest  # noqa: F401
from _pytest.config import default_plugins

from autograder import course
from autograder.grading import feedback, student
from autograder.sandbox import isolation

for _name in ("autograder.hidden.conftest", *(f"autograder.hidden.test_{entry.name}" for entry in course.EXERCISES),
              *(f"solutions.{entry.name}" for entry in course.EXERCISES if entry.kind == "numpy"),
              "_pytest._argcomplete",
              *(f"_pytest.{plugin}" for plugin in default_plugins if plugin not in student.UNUSED_PYTEST_PLUGINS)):
    importlib.import_module(_name)
feedback.load_template()
isolation.available_layers()
