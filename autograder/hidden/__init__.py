"""Hidden test suites, one file per exercise; they run only in the trusted grader process."""

from pathlib import Path

#: This folder: the hidden suites, their conftest and pytest.ini (never readable by a sandbox worker).
HIDDEN_DIR = Path(__file__).resolve().parent
