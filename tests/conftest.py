"""The kit's tests read MNIST from CONVKIT_DATA_DIR; when it is unset, the shared copy beside the repo is used."""

import os
from pathlib import Path

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

if not os.environ.get("CONVKIT_DATA_DIR") and (SHARED_DATASETS / "mnist").is_dir():
    os.environ["CONVKIT_DATA_DIR"] = str(SHARED_DATASETS)
