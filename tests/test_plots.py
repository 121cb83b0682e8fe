"""The plotting helpers and the lesson's edge figure (built with the Agg renderer, never shown)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import correlate2d

from exercises import data, plots
from solutions import ex01_convolution

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir():
    """The verified originals: CONVKIT_DATA_DIR, else ../shared/datasets next to the repository."""
    folder = Path(os.environ.get("CONVKIT_DATA_DIR") or SHARED_DATASETS)
    if not (folder / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"Fashion-MNIST is not in {folder}; set CONVKIT_DATA_DIR (see datasets/README.md)")
    return folder


@pytest.fixture(scope="module")
def tshirt(data_dir):
    return plots.lesson_tshirt(data_dir)


def test_the_lesson_tshirt_is_the_first_class_0_training_image(data_dir, tshirt):
    images, labels = data.load_fashion_mnist("train", data_dir=data_dir)
    first = int(np.flatnonzero(labels == 0)[0])
    assert np.array_equal(tshirt, images[first]) and tshirt.shape == (28, 28)


def test_the_edge_figure_uses_the_students_correlate2d_by_default(data_dir):
    # The exercises/ module is the untouched stub here: its NotImplementedError shows whose function ran.
    with pytest.raises(NotImplementedError, match="correlate2d"):
        plots.edge_figure(data_dir=data_dir)


def test_the_shirts_left_edge_is_positive_and_its_right_edge_negative(tshirt):
    response = ex01_convolution.correlate2d(tshirt, plots.EDGE_KERNEL)  # (27, 27)
    assert response.shape == (27, 27)
    rows = 0
    for row in range(27):
        # The shirt's outline in this window's two image rows (pixels at least half bright).
        bright = np.flatnonzero((tshirt[row] >= 128) | (tshirt[row + 1] >= 128))
        if bright.size == 0:
            continue
        rows += 1
        first, last = bright[0], bright[-1]
        assert response[row, first - 1] > 50, f"row {row}: the window across the left edge should be positive"
        assert response[row, last] < -50, f"row {row}: the window across the right edge should be negative"
        assert response[row].argmax() < response[row].argmin(), f"row {row}: brightest response right of darkest"
    assert rows >= 20


def test_edge_figure_draws_the_tshirt_kernel_and_response_and_writes_a_png(data_dir, tshirt, tmp_path):
    out = tmp_path / "edge.png"
    figure = plots.edge_figure(out, data_dir=data_dir, correlate=ex01_convolution.correlate2d)
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size < 100_000
    shown = [axis.images[0].get_array() for axis in figure.axes if axis.images]
    assert len(shown) == 3
    assert np.array_equal(shown[0], tshirt)
    assert np.array_equal(shown[1], plots.EDGE_KERNEL)
    assert np.array_equal(shown[2], correlate2d(tshirt.astype(float), plots.EDGE_KERNEL, "valid"))
    out.unlink()
    plots.edge_figure(data_dir=data_dir, correlate=ex01_convolution.correlate2d)
    assert not list(tmp_path.iterdir()), "without out_path nothing is written"


def test_the_committed_lesson_figure_is_a_png():
    path = REPO / "docs" / "edge_kernel_tshirt.png"
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size < 100_000


def test_show_feature_maps_draws_the_image_and_each_map_centred_at_zero():
    image = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    maps = np.random.default_rng(1).normal(size=(26, 26, 4))
    maps[0, 0, 2] = -9.0
    figure = plots.show_feature_maps(image, maps, titles=["a", "b", "c", "d"])
    panels = [axis for axis in figure.axes if axis.images]
    assert [axis.get_title() for axis in panels] == ["input", "a", "b", "c", "d"]
    for k, axis in enumerate(panels[1:]):
        limit = np.abs(maps[:, :, k]).max()
        assert axis.images[0].get_clim() == pytest.approx((-limit, limit))
    assert len(figure.axes) == 5 + 4  # one colorbar per map
    assert len([a for a in plots.show_feature_maps(image[:, :, None], maps[:, :, 0]).axes if a.images]) == 2


@pytest.mark.parametrize(("maps", "titles", "match"), [
    pytest.param(np.zeros((4, 4, 2, 1)), None, "maps must have shape", id="4-D maps"),
    pytest.param(np.zeros((4, 4, 2)), ["only one"], "titles must have one entry per map", id="titles"),
])
def test_show_feature_maps_rejects_bad_arguments(maps, titles, match):
    with pytest.raises(ValueError, match=match):
        plots.show_feature_maps(np.zeros((6, 6)), maps, titles=titles)


def test_show_layer_maps_titles_every_map_with_its_layer_and_filter_one_range_and_colour_bar_per_layer():
    rng = np.random.default_rng(3)
    layers = {"conv1": rng.normal(size=(28, 28, 6)), "conv2": rng.normal(size=(10, 10, 16))}
    layers["conv2"][0, 0, 5] = 40.0
    figure = plots.show_layer_maps(np.zeros((28, 28, 1)), layers, label="input: digit 7", columns=8)
    panels = [axis for axis in figure.axes if axis.images and axis.get_title()]
    expected = ["input: digit 7"] + [f"{name}: filter {k}" for name, maps in layers.items()
                                     for k in range(maps.shape[2])]
    assert [axis.get_title() for axis in panels] == expected
    for axis in panels[1:]:
        name, k = axis.get_title().split(": filter ")
        assert np.array_equal(axis.images[0].get_array(), layers[name][:, :, int(k)])
        limit = np.abs(layers[name]).max()
        assert axis.images[0].get_clim() == pytest.approx((-limit, limit)), "one range per layer"
    bars = [axis for axis in figure.axes if axis.get_label() == "<colorbar>"]
    assert sorted(bar.get_ylabel() for bar in bars) == ["conv1", "conv2"]
    # conv1 fills one row, conv2 two rows of 8: its filter 8 starts the third row, below filter 0.
    grid = {axis.get_title(): axis.get_subplotspec() for axis in panels}
    assert grid["conv2: filter 8"].rowspan.start == 2 and grid["conv2: filter 8"].colspan.start == 1
    assert grid["conv2: filter 0"].rowspan.start == 1 and grid["conv1: filter 5"].colspan.start == 6


@pytest.mark.parametrize(("layers", "columns", "match"), [
    pytest.param({}, 8, "non-empty mapping", id="no-layers"),
    pytest.param({"conv1": np.zeros((4, 4))}, 8, r"layers\['conv1'\] must have shape", id="2-D maps"),
    pytest.param({"conv1": np.zeros((4, 4, 2))}, 0, "columns must be", id="no-columns"),
])
def test_show_layer_maps_rejects_bad_arguments(layers, columns, match):
    with pytest.raises(ValueError, match=match):
        plots.show_layer_maps(np.zeros((6, 6)), layers, columns=columns)


@pytest.mark.parametrize(("shape", "panels"), [
    pytest.param((2, 2), 1, id="one-kernel"),
    pytest.param((3, 3, 4), 4, id="K=4"),
    pytest.param((3, 3, 3, 2), 6, id="C=3-K=2"),
])
def test_show_kernels_draws_one_panel_per_kernel_and_channel(shape, panels):
    kernels = np.random.default_rng(2).normal(size=shape)
    figure = plots.show_kernels(kernels)
    drawn = [axis.images[0].get_array() for axis in figure.axes]
    assert len(drawn) == panels
    if len(shape) == 4:  # panels run channel by channel (rows), kernel by kernel (columns)
        flat = np.stack([kernels[:, :, c, k] for c in range(shape[2]) for k in range(shape[3])], axis=-1)
    else:
        flat = kernels.reshape(shape[0], shape[1], -1)
    for index, array in enumerate(drawn):
        assert np.array_equal(array, flat[:, :, index])
    with pytest.raises(ValueError, match="kernels must have shape"):
        plots.show_kernels(np.zeros(3))


class FakeHistory:
    """What plot_history reads from a keras History: its `history` dict."""

    def __init__(self, history):
        self.history = history


def test_plot_history_draws_loss_then_each_metric_with_validation():
    logs = {"accuracy": [0.8, 0.9, 0.95], "loss": [1.0, 0.5, 0.3], "val_loss": [0.6, 0.4, 0.35],
            "val_accuracy": [0.85, 0.9, 0.93]}
    for history in (logs, FakeHistory(logs)):
        figure = plots.plot_history(history)
        assert [axis.get_title() for axis in figure.axes] == ["loss", "accuracy"]
        loss_lines = figure.axes[0].get_lines()
        assert [line.get_label() for line in loss_lines] == ["train", "validation"]
        assert list(loss_lines[0].get_xdata()) == [1, 2, 3] and list(loss_lines[1].get_ydata()) == logs["val_loss"]
    with pytest.raises(ValueError, match="history must be"):
        plots.plot_history({})


def test_importing_plots_does_not_import_pyplot():
    code = "import sys, exercises.plots; print('matplotlib.pyplot' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_kernel_values_are_written_only_when_they_fit_else_a_colour_bar_is_drawn():
    small = plots.show_kernels(np.ones((3, 3, 2)))
    large = plots.show_kernels(np.ones((5, 5, 1, 6)))
    assert sum(len(axis.texts) for axis in small.axes) == 18 and len(small.axes) == 2
    assert sum(len(axis.texts) for axis in large.axes) == 0
    assert len(large.axes) == 7, "six kernels and one colour bar"
