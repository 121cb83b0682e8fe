"""What every grading process needs, imported once by the server the grading processes are forked from.

Importing this module imports pytest, numpy, matplotlib (for the pictures of wrong answers), the grading
process's code, the hidden suites with their conftest, the reference solutions and the check library, and
detects the sandbox's isolation layers (each probe starts a process). It runs no student code.
"""

from __future__ import annotations

import importlib

import matplotlib.figure  # noqa: F401
import pytest  # noqa: F401

from autograder import course
from autograder.grading import feedback, student  # noqa: F401
from autograder.sandbox import isolation

for _name in ("autograder.hidden.conftest", *(f"autograder.hidden.test_{entry.name}" for entry in course.EXERCISES),
              *(f"solutions.{entry.name}" for entry in course.EXERCISES if entry.kind == "numpy")):
    importlib.import_module(_name)
isolation.available_layers()
