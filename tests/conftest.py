"""The kit's tests read MNIST from CONVKIT_DATA_DIR; when it is unset, the shared copy beside the repo is used."""

import os
import shutil
import stat
import sys
import tempfile
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


@pytest.fixture
def traversable_tmp_path():
    """A scratch folder a sandbox uid can pass through (pytest's own tmp_path is 0700, which a worker
    without bubblewrap's bind mount could not traverse), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="convkit-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
