"""The data loader: real files through CONVKIT_DATA_DIR, the search order, refusal of damaged files, downloads."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from exercises import data

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TEST_LABELS = "mnist/t10k-labels-idx1-ubyte.gz"
TEST_IMAGES = "mnist/t10k-images-idx3-ubyte.gz"


@pytest.fixture(scope="session")
def real_data_dir():
    """The verified originals: CONVKIT_DATA_DIR, else ../shared/datasets next to the repository."""
    folder = Path(os.environ.get("CONVKIT_DATA_DIR") or SHARED_DATASETS)
    if not all((folder / rel).is_file() for rel in data.CHECKSUMS):
        pytest.fail(f"the MNIST / Fashion-MNIST files are not in {folder}; set CONVKIT_DATA_DIR to a folder "
                    "holding mnist/ and fashion-mnist/ (see datasets/README.md)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONVKIT_DATA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def mnist_train(real_data_dir):
    return data.load_mnist("train")


@pytest.fixture(scope="session")
def mnist_test(real_data_dir):
    return data.load_mnist("test")


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No data anywhere: HOME, KERAS_HOME, CONVKIT_DATA_DIR and the repository folder all point at empty dirs."""
    places = {name: tmp_path / name for name in ("home", "given", "env", "repo")}
    for folder in places.values():
        folder.mkdir()
    (places["repo"] / "SHA256SUMS").write_text("")
    monkeypatch.setenv("HOME", str(places["home"]))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("CONVKIT_DATA_DIR", str(places["env"]))
    monkeypatch.setattr(data, "REPO_DATA_DIR", places["repo"])
    return places


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sha256sums_file_lists_the_same_checksums_as_the_module():
    listed = {}
    for line in (REPO / "datasets" / "SHA256SUMS").read_text().splitlines():
        digest, relpath = line.split("  ", 1)
        listed[relpath] = digest
    assert listed == data.CHECKSUMS


def test_checksums_match_the_real_files(real_data_dir):
    assert {rel: sha256(real_data_dir / rel) for rel in data.CHECKSUMS} == data.CHECKSUMS


@pytest.mark.parametrize(("loader", "split", "count"), [
    pytest.param(data.load_mnist, "train", 60000, id="mnist-train"),
    pytest.param(data.load_mnist, "test", 10000, id="mnist-test"),
    pytest.param(data.load_fashion_mnist, "train", 60000, id="fashion-train"),
    pytest.param(data.load_fashion_mnist, "test", 10000, id="fashion-test"),
])
def test_splits_have_the_published_shapes_and_labels(real_data_dir, loader, split, count):
    images, labels = loader(split)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))


def test_mnist_has_the_published_class_counts_and_pixel_mean(mnist_train, mnist_test):
    assert np.bincount(mnist_train[1], minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist_test[1], minlength=10).tolist() == MNIST_TEST_COUNTS
    assert round(float(mnist_train[0].mean()), 4) == 33.3184


def test_fashion_mnist_has_6000_and_1000_images_per_class(real_data_dir):
    assert np.bincount(data.load_fashion_mnist("train")[1]).tolist() == [6000] * 10
    assert np.bincount(data.load_fashion_mnist("test")[1]).tolist() == [1000] * 10
    assert data.FASHION_CLASSES[0] == "T-shirt/top" and data.FASHION_CLASSES[9] == "Ankle boot"
    assert len(data.FASHION_CLASSES) == 10


def test_arrays_are_cached_and_read_only(mnist_test):
    images, labels = mnist_test
    again = data.load_mnist("test")
    assert again[0] is images and again[1] is labels
    with pytest.raises(ValueError, match="read-only"):
        images[0, 0, 0] = 1
    with pytest.raises(ValueError):
        labels.flags.writeable = True


def test_explicit_data_dir_is_searched_first(real_data_dir, nowhere):
    images, _ = data.load_mnist("test", data_dir=real_data_dir)
    assert images.shape == (10000, 28, 28)


def test_unknown_split_is_a_value_error(real_data_dir):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.load_fashion_mnist("validation")


def test_missing_data_error_lists_every_place_searched_and_the_fixes(nowhere):
    with pytest.raises(data.DataNotFoundError) as caught:
        data.load_mnist("train", data_dir=nowhere["given"])
    assert isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    for place in (nowhere["given"], nowhere["env"], nowhere["repo"], nowhere["home"] / ".keras" / "datasets"):
        assert str(place) in message
    for fix in ("CONVKIT_DATA_DIR", "download=True", "mnist/train-images-idx3-ubyte.gz", "mnist.npz"):
        assert fix in message


def copy_test_split(root: Path, source: Path) -> None:
    (root / "mnist").mkdir(parents=True, exist_ok=True)
    for rel in (TEST_IMAGES, TEST_LABELS):
        shutil.copyfile(source / rel, root / rel)


def test_a_damaged_file_is_refused_even_when_a_good_copy_exists_later(real_data_dir, tmp_path):
    copy_test_split(tmp_path, real_data_dir)
    path = tmp_path / TEST_LABELS
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataCorruptError, match="SHA-256") as caught:
        data.load_mnist("test", data_dir=tmp_path)
    assert isinstance(caught.value, ValueError) and str(path) in str(caught.value)


def gzip_labels(magic: int, count: int, values: bytes) -> bytes:
    return gzip.compress(magic.to_bytes(4, "big") + count.to_bytes(4, "big") + values)


@pytest.mark.parametrize(("make", "reason"), [
    pytest.param(lambda good: good[: len(good) // 2], "not a complete gzip", id="truncated-gzip"),
    pytest.param(lambda good: b"not gzip at all", "not a complete gzip", id="not-gzip"),
    pytest.param(lambda good: gzip.compress(b"\x00\x00"), "shorter than", id="short-header"),
    pytest.param(lambda good: gzip_labels(2051, 10000, bytes(10000)), "magic number is 2051", id="image-magic"),
    pytest.param(lambda good: gzip_labels(2049, 9999, bytes(9999)), r"dimensions are \(9999,\)", id="wrong-count"),
    pytest.param(lambda good: gzip_labels(2049, 10000, bytes(10001)), "10001 data bytes", id="extra-byte"),
    pytest.param(lambda good: gzip_labels(2049, 10000, bytes(9999)), "9999 data bytes", id="missing-byte"),
    pytest.param(lambda good: gzip_labels(2049, 10000, bytes([10]) * 10000), "labels must be 0-9", id="label-10"),
])
def test_a_file_with_the_expected_checksum_is_still_parsed_strictly(real_data_dir, tmp_path, monkeypatch,
                                                                     make, reason):
    copy_test_split(tmp_path, real_data_dir)
    path = tmp_path / TEST_LABELS
    path.write_bytes(make(path.read_bytes()))
    monkeypatch.setitem(data.CHECKSUMS, TEST_LABELS, sha256(path))
    with pytest.raises(data.DataCorruptError, match=reason):
        data.load_mnist("test", data_dir=tmp_path)


def test_image_file_with_label_magic_is_refused(real_data_dir, tmp_path, monkeypatch):
    copy_test_split(tmp_path, real_data_dir)
    path = tmp_path / TEST_IMAGES
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[3] = 2049 & 0xFF  # the magic's low byte: 0x0803 (images) becomes 0x0801 (labels)
    path.write_bytes(gzip.compress(bytes(content), compresslevel=1))
    monkeypatch.setitem(data.CHECKSUMS, TEST_IMAGES, sha256(path))
    with pytest.raises(data.DataCorruptError, match="magic number is 2049, expected 2051"):
        data.load_mnist("test", data_dir=tmp_path)


def test_keras_cache_fashion_mnist_is_found(real_data_dir, nowhere, monkeypatch):
    monkeypatch.delenv("CONVKIT_DATA_DIR")
    cache = nowhere["home"] / ".keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(real_data_dir / "fashion-mnist" / name, cache / name)
    images, labels = data.load_fashion_mnist("test")
    expected = data.load_fashion_mnist("test", data_dir=real_data_dir)
    assert np.array_equal(images, expected[0]) and np.array_equal(labels, expected[1])


def test_a_keras_mnist_npz_with_another_checksum_is_refused(nowhere, monkeypatch):
    cache = nowhere["home"] / ".keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(data.DataCorruptError, match=data.KERAS_MNIST_NPZ_SHA256):
        data.load_mnist("test")
    monkeypatch.setattr(data, "KERAS_MNIST_NPZ_SHA256", sha256(cache / "mnist.npz"))
    with pytest.raises(data.DataCorruptError, match=r"is not \(10000, 28, 28\) uint8"):
        data.load_mnist("test")


def test_a_keras_mnist_npz_under_keras_home_gives_the_idx_arrays(mnist_train, mnist_test, nowhere, monkeypatch):
    keras_home = nowhere["home"] / "keras-home"
    (keras_home / "datasets").mkdir(parents=True)
    npz = keras_home / "datasets" / "mnist.npz"
    np.savez(npz, x_train=mnist_train[0], y_train=mnist_train[1], x_test=mnist_test[0], y_test=mnist_test[1])
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setattr(data, "KERAS_MNIST_NPZ_SHA256", sha256(npz))
    for split, (images, labels) in (("train", mnist_train), ("test", mnist_test)):
        got_images, got_labels = data.load_mnist(split)
        assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
        assert not got_images.flags.writeable


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(real_data_dir, tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 with two mirrors: good/mnist/ (the originals) and bad/mnist/ (damaged)."""
    served = tmp_path / "served"
    copy_test_split(served / "good", real_data_dir)
    copy_test_split(served / "bad", real_data_dir)
    damaged = served / "bad" / TEST_LABELS
    raw = bytearray(damaged.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=served))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_download_fetches_verifies_and_renames_into_place(mirror, mnist_test, nowhere, monkeypatch):
    monkeypatch.setitem(data.MIRRORS, "mnist", [f"{mirror}/missing/mnist/", f"{mirror}/good/mnist/"])
    with pytest.raises(data.DataNotFoundError):
        data.load_mnist("test", data_dir=nowhere["given"])
    images, labels = data.load_mnist("test", data_dir=nowhere["given"], download=True)
    assert np.array_equal(images, mnist_test[0]) and np.array_equal(labels, mnist_test[1])
    stored = sorted(p.name for p in (nowhere["given"] / "mnist").iterdir())
    assert stored == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]  # no *.part left behind
    assert sha256(nowhere["given"] / TEST_LABELS) == data.CHECKSUMS[TEST_LABELS]


def test_download_without_data_dir_goes_to_convkit_data_dir(mirror, nowhere, monkeypatch):
    monkeypatch.setitem(data.MIRRORS, "mnist", [f"{mirror}/good/mnist/"])
    data.load_mnist("test", download=True)
    assert (nowhere["env"] / TEST_IMAGES).is_file()
    monkeypatch.delenv("CONVKIT_DATA_DIR")
    assert data.download_dir() == nowhere["repo"]


def test_download_refuses_bytes_with_the_wrong_checksum(mirror, nowhere):
    with pytest.raises(data.DownloadError) as caught:
        data.download("mnist", "test", nowhere["given"], mirrors=[f"{mirror}/bad/mnist/", "http://127.0.0.1:9/"])
    message = str(caught.value)
    assert "does not match" in message and "refused" in message and "127.0.0.1:9" in message
    assert isinstance(caught.value, OSError)
    # The images were good and are kept; the damaged labels were never renamed into place.
    assert sorted(p.name for p in (nowhere["given"] / "mnist").iterdir()) == ["t10k-images-idx3-ubyte.gz"]


def test_download_after_refusal_takes_the_next_mirror(mirror, nowhere):
    paths = data.download("mnist", "test", nowhere["given"], mirrors=[f"{mirror}/bad/mnist/", f"{mirror}/good/mnist/"])
    assert [sha256(p) for p in paths] == [data.CHECKSUMS[TEST_IMAGES], data.CHECKSUMS[TEST_LABELS]]


def test_to_float_scales_uint8_to_float32_in_0_1(mnist_test):
    images = mnist_test[0][:100]
    scaled = data.to_float(images)
    assert scaled.dtype == np.float32 and scaled.shape == images.shape
    np.testing.assert_allclose(scaled, images.astype(np.float64) / 255.0, rtol=1e-6)
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    scaled[0, 0, 0] = 0.5  # a new, writable array
    with pytest.raises(ValueError, match="images must be uint8"):
        data.to_float(scaled)


def test_add_channel_appends_one_trailing_axis(mnist_test):
    images = mnist_test[0]
    stacked = data.add_channel(images)
    assert stacked.shape == (10000, 28, 28, 1)
    assert np.shares_memory(stacked, images) and np.array_equal(stacked[..., 0], images)
    assert data.add_channel(images[0]).shape == (28, 28, 1)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        data.add_channel(stacked)
