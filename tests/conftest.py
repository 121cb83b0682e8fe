"""The kit's tests read MNIST from CONVKIT_DATA_DIR; when it is unset, the shared copy beside the repo is used."""

import os
import stat
import sys
from pathlib import Path

import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

if not os.environ.get("CONVKIT_DATA_DIR") and (SHARED_DATASETS / "mnist").is_dir():
    os.environ["CONVKIT_DATA_DIR"] = str(SHARED_DATASETS)


@pytest.fixture
def python_readable_by_others():
    """Make the interpreter's ancestors traversable by others for the test (a Python under a 0700 /root is
    what keeps the uid layer off on this machine kind), and restore their modes afterwards."""
    changed = []
    for folder in Path(sys.executable).resolve().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append((folder, stat.S_IMODE(mode)))
    yield
    for folder, mode in changed:
        folder.chmod(mode)
