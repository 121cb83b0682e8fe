"""MNIST and Fashion-MNIST from the original IDX `.gz` files, checked against SHA-256 before they are read.

    images, labels = load_mnist("train")          # (60000, 28, 28) uint8, (60000,) uint8
    x = add_channel(to_float(images))             # (60000, 28, 28, 1) float32 in [0, 1]

Where the files are looked for, first match wins (per dataset `sub` = "mnist" or "fashion-mnist"):

    1. the `data_dir` argument
    2. the folder named by the environment variable CONVKIT_DATA_DIR
    3. `datasets/` in this repository
    4. the Keras cache, `$KERAS_HOME/datasets` or `~/.keras/datasets`
    5. only with `download=True`: a download, verified before it is used

In each folder the loader wants `sub/train-images-idx3-ubyte.gz` and `sub/train-labels-idx1-ubyte.gz`
(`t10k-...` for the test split), or, for MNIST only, the Keras archive `mnist.npz`. A file that is present
but does not match its checksum is refused with `DataCorruptError`; it is never skipped in silence.

Arrays are cached per process and returned READ-ONLY (no copy is made, so a second call is free). Call
`.copy()` on them if you need to write into them; `to_float` already returns a new array.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

#: SHA-256 of every original file, by its path relative to a data folder; datasets/SHA256SUMS lists the same.
CHECKSUMS: dict[str, str] = {
    "mnist/t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "mnist/t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    "mnist/train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "mnist/train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "fashion-mnist/train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "fashion-mnist/train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
}
#: SHA-256 of the Keras copy of MNIST (`keras.datasets.mnist.load_data` stores it as `mnist.npz`).
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

#: Base URLs tried in order by a download; each file is checked against CHECKSUMS before it is kept.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    ],
}

#: Fashion-MNIST label names, indexed by label.
FASHION_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: The repository's data folder. It is used only when it holds SHA256SUMS (an installed copy has none).
REPO_DATA_DIR = Path(__file__).resolve().parents[1] / "datasets"

SPLITS = {"train": ("train", 60000), "test": ("t10k", 10000)}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
ROWS = COLS = 28


class DataNotFoundError(FileNotFoundError):
    """The dataset files are in none of the places the loader searches.

    Cause: the IDX `.gz` files were never copied or downloaded, or they sit in a folder the loader does not
    search. Remedy: set CONVKIT_DATA_DIR to a folder holding `mnist/` and `fashion-mnist/`, copy the files
    into `datasets/` of the repository, pass `data_dir=...`, or call the loader with `download=True`.
    """


class DataCorruptError(ValueError):
    """A dataset file was found but is not the original: wrong checksum, broken gzip or a bad IDX header.

    Cause: an interrupted download or copy, or a different file under the expected name. Remedy: delete the
    file named in the message and copy or download it again; the checksums are in datasets/SHA256SUMS.
    """


class DownloadError(OSError):
    """No mirror delivered a file whose SHA-256 matches the expected value.

    Cause: no network, every mirror failed, or a mirror served different bytes (those are refused and never
    kept). Remedy: copy the files by hand into a folder and set CONVKIT_DATA_DIR to it.
    """


def load_mnist(split: str = "train", *, data_dir: str | os.PathLike | None = None,
               download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits: images (N, 28, 28) uint8 in 0-255 and labels (N,) uint8 in 0-9.

    `split` is "train" (N = 60000) or "test" (N = 10000). Both arrays are read-only and shared by every
    caller in the process; copy them before writing. Raises DataNotFoundError, DataCorruptError or, with
    `download=True`, DownloadError.
    """
    return _load("mnist", split, data_dir, download)


def load_fashion_mnist(split: str = "train", *, data_dir: str | os.PathLike | None = None,
                       download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Zalando's clothing images: images (N, 28, 28) uint8 and labels (N,) uint8; names in FASHION_CLASSES.

    Same splits, search order, read-only arrays and errors as `load_mnist`.
    """
    return _load("fashion-mnist", split, data_dir, download)


def to_float(images: np.ndarray) -> np.ndarray:
    """A new float32 array `images / 255`, in [0, 1]; `images` must be uint8 (any shape)."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixels in 0-255 (as loaded); got dtype {images.dtype}")
    return images.astype(np.float32) / np.float32(255)


def add_channel(images: np.ndarray) -> np.ndarray:
    """Append the channel axis Keras expects: (N, H, W) -> (N, H, W, 1), or one image (H, W) -> (H, W, 1).

    Returns a view, so it stays read-only when `images` is.
    """
    images = np.asarray(images)
    if images.ndim not in (2, 3):
        raise ValueError(f"images must have shape (N, H, W) or (H, W); got shape {images.shape}")
    return images[..., np.newaxis]


def shifted_subset(images: np.ndarray, labels: np.ndarray, count: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random subset of `count` images, each shifted by -1, 0 or 1 pixel on each axis (zeros fill in).

    This is how the grader measures a LeNet's accuracy: on test images it picks, moved a little, so that
    predictions memorized for the published test set do not help. Returns `(x, y)`: x `(count, H, W, 1)`
    float32 in [0, 1] and y `(count,)` int64 labels. `images` is `(N, H, W)` uint8; nothing is modified.
    """
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(f"images must be (N, H, W) with one label each, got {images.shape} and {labels.shape}")
    if not 0 < count <= len(images):
        raise ValueError(f"count must be between 1 and {len(images)}, got {count}")
    chosen = rng.choice(len(images), size=count, replace=False)
    height, width = images.shape[1:]
    padded = np.pad(add_channel(to_float(images[chosen])), ((0, 0), (1, 1), (1, 1), (0, 0)))
    shifts = rng.integers(0, 3, size=(count, 2))
    x = np.stack([padded[n, dy:dy + height, dx:dx + width] for n, (dy, dx) in enumerate(shifts)])
    return x.astype(np.float32), labels[chosen].astype(np.int64)


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path | None]]:
    """The folders the loader searches, in order, as (description, path or None when unset)."""
    env = os.environ.get("CONVKIT_DATA_DIR")
    keras_home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    repo = REPO_DATA_DIR if (REPO_DATA_DIR / "SHA256SUMS").is_file() else None
    return [
        ("data_dir argument", Path(data_dir).expanduser() if data_dir is not None else None),
        ("CONVKIT_DATA_DIR", Path(env).expanduser() if env else None),
        ("repository datasets/", repo),
        ("Keras cache", keras_home / "datasets"),
    ]


def download_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Where `download=True` stores files: data_dir, else CONVKIT_DATA_DIR, the repository's datasets/, Keras's."""
    return next(path for _, path in search_dirs(data_dir) if path is not None)


def download(dataset: str, split: str, dest: str | os.PathLike, *, mirrors: list[str] | None = None,
             timeout: float = 60.0) -> list[Path]:
    """Fetch the two files of one split into `dest/dataset/` and return their paths.

    Each file is streamed into a temporary file next to its final name, hashed, and renamed into place only
    when its SHA-256 matches CHECKSUMS; otherwise the next mirror is tried. Files already present and
    correct are kept. `mirrors` defaults to MIRRORS[dataset] (base URLs ending in "/").
    """
    if dataset not in MIRRORS:
        raise ValueError(f"dataset must be one of {sorted(MIRRORS)}; got {dataset!r}")
    folder = Path(dest) / dataset
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for relpath in _relpaths(dataset, split):
        target = Path(dest) / relpath
        if not (target.is_file() and _sha256_file(target) == CHECKSUMS[relpath]):
            _fetch(relpath, target, mirrors if mirrors is not None else MIRRORS[dataset], timeout)
        paths.append(target)
    return paths


def _load(dataset: str, split: str, data_dir, download_: bool) -> tuple[np.ndarray, np.ndarray]:
    relpaths = _relpaths(dataset, split)
    count = SPLITS[split][1]
    places = search_dirs(data_dir)
    for _, root in places:
        if root is None:
            continue
        files = [root / rel for rel in relpaths]
        if all(f.is_file() for f in files):
            return _read_pair(files, relpaths, count)
        if dataset == "mnist" and (root / "mnist.npz").is_file():
            return _read_keras_npz(_cache_key(root / "mnist.npz"), KERAS_MNIST_NPZ_SHA256, split)
    if download_:
        dest = download_dir(data_dir)
        files = download(dataset, split, dest)
        return _read_pair(files, relpaths, count)
    raise DataNotFoundError(_not_found_message(dataset, split, relpaths, places))


def _relpaths(dataset: str, split: str) -> list[str]:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    prefix = SPLITS[split][0]
    return [f"{dataset}/{prefix}-images-idx3-ubyte.gz", f"{dataset}/{prefix}-labels-idx1-ubyte.gz"]


def _not_found_message(dataset: str, split: str, relpaths: list[str], places) -> str:
    wanted = " and ".join(relpaths) + (" (or mnist.npz from Keras)" if dataset == "mnist" else "")
    lines = [f"{dataset} {split} split not found. Looked for {wanted} in:"]
    unset = {"data_dir argument": "(not given)", "CONVKIT_DATA_DIR": "(not set)",
             "repository datasets/": "(none: no datasets/SHA256SUMS beside the exercises package)"}
    for number, (label, root) in enumerate(places, 1):
        lines.append(f"  {number}. {label}: {root if root is not None else unset.get(label, '(not set)')}")
    lines += ["Fix it with one of:",
              "  - set CONVKIT_DATA_DIR to a folder that holds mnist/ and fashion-mnist/ with the .gz files;"]
    if places[2][1] is not None:
        lines.append(f"  - copy the files into {places[2][1]} (see its README.md);")
    lines.append("  - pass download=True to fetch them (needs network; files are checked against SHA-256).")
    return "\n".join(lines)


def _read_pair(files: list[Path], relpaths: list[str], count: int) -> tuple[np.ndarray, np.ndarray]:
    images = _read_idx(_cache_key(files[0]), CHECKSUMS[relpaths[0]], IMAGE_MAGIC, count)
    labels = _read_idx(_cache_key(files[1]), CHECKSUMS[relpaths[1]], LABEL_MAGIC, count)
    return images, labels


def _cache_key(path: Path) -> tuple[Path, int, int]:
    # The size and modification time are part of the key, so a replaced file is verified again.
    stat = path.stat()
    return path.resolve(), stat.st_size, stat.st_mtime_ns


def _verified_bytes(path: Path, expected: str) -> bytes:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise DataCorruptError(
            f"{path}: SHA-256 is {digest}, expected {expected}. The file is damaged or not the original; "
            "delete it and copy or download it again."
        )
    return raw


@functools.lru_cache(maxsize=16)
def _read_idx(key: tuple[Path, int, int], expected_sha256: str, magic: int, count: int) -> np.ndarray:
    """One IDX `.gz` file as a read-only uint8 array: (count, 28, 28) for images, (count,) for labels."""
    path = key[0]
    raw = _verified_bytes(path, expected_sha256)
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise DataCorruptError(f"{path}: not a complete gzip file ({error}); delete it and fetch it again.") from None
    ndim = 3 if magic == IMAGE_MAGIC else 1
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataCorruptError(f"{path}: {len(data)} bytes is shorter than the {header}-byte IDX header.")
    fields = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    dims = tuple(int(d) for d in fields[1:])
    expected_dims = (count, ROWS, COLS) if ndim == 3 else (count,)
    if int(fields[0]) != magic:
        raise DataCorruptError(f"{path}: IDX magic number is {int(fields[0])}, expected {magic}.")
    if dims != expected_dims:
        raise DataCorruptError(f"{path}: IDX dimensions are {dims}, expected {expected_dims}.")
    if len(data) != header + int(np.prod(dims)):
        raise DataCorruptError(
            f"{path}: {len(data) - header} data bytes after the header, expected {int(np.prod(dims))}."
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)  # read-only: backed by bytes
    if magic == LABEL_MAGIC and array.max() > 9:
        raise DataCorruptError(f"{path}: labels must be 0-9; found {int(array.max())}.")
    return array


@functools.lru_cache(maxsize=4)
def _read_keras_npz(key: tuple[Path, int, int], expected_sha256: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    path = key[0]
    raw = _verified_bytes(path, expected_sha256)
    suffix = "train" if split == "train" else "test"
    count = SPLITS[split][1]
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            images, labels = archive[f"x_{suffix}"], archive[f"y_{suffix}"]
    except (OSError, KeyError, ValueError, zlib.error) as error:
        raise DataCorruptError(f"{path}: not a readable Keras MNIST archive ({error}).") from None
    if images.shape != (count, ROWS, COLS) or labels.shape != (count,) or images.dtype != np.uint8:
        raise DataCorruptError(f"{path}: x_{suffix} {images.shape} {images.dtype} is not ({count}, 28, 28) uint8.")
    images.flags.writeable = False
    labels = labels.astype(np.uint8)
    labels.flags.writeable = False
    return images, labels


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(relpath: str, target: Path, mirrors: list[str], timeout: float) -> None:
    expected = CHECKSUMS[relpath]
    failures = []
    for base in mirrors:
        url = base + Path(relpath).name
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        temp = Path(temp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != expected:
                failures.append(f"{url}: SHA-256 {digest.hexdigest()} does not match {expected}; refused")
                continue
            os.replace(temp, target)
            return
        except OSError as error:
            failures.append(f"{url}: {error}")
        finally:
            temp.unlink(missing_ok=True)
    raise DownloadError(f"could not download {relpath}:\n  " + "\n  ".join(failures)
                        + "\nCopy the files by hand and set CONVKIT_DATA_DIR (see datasets/README.md).")


__all__ = [
    "CHECKSUMS", "FASHION_CLASSES", "KERAS_MNIST_NPZ_SHA256", "MIRRORS", "DataCorruptError", "DataNotFoundError",
    "DownloadError", "add_channel", "download", "download_dir", "load_fashion_mnist", "load_mnist", "search_dirs",
    "to_float",
]
