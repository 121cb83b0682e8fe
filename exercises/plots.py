"""Figures for the lessons: an image with its feature maps (of one stack, or of every layer of a network), a set
of kernels, the edge-kernel figure, training curves.

Every function returns a `matplotlib.figure.Figure` built without pyplot, so nothing opens a window, nothing
is shown at import and the functions work under any backend (Agg included). In a notebook the returned
figure displays itself; in a script call `fig.savefig("name.png")`.

Feature maps and kernels use a diverging colormap centred at 0: white is 0, red positive, blue negative.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from exercises import data

#: The lesson's vertical-edge kernel: it responds where brightness rises from left to right.
EDGE_KERNEL = np.array([[-1.0, 1.0], [-1.0, 1.0]])
#: The lesson's T-shirt is the first training image of this class (T-shirt/top) in Fashion-MNIST.
TSHIRT_CLASS = 0
DIVERGING = "RdBu_r"


def show_feature_maps(image: np.ndarray, maps: np.ndarray, *, titles: Sequence[str] | None = None,
                      cmap: str = DIVERGING) -> Figure:
    """The input image (grey) followed by each of the K maps of `maps`, one panel each.

    image: (H, W), (H, W, 1) or (H, W, 3). maps: (H', W', K), or (H', W') for one map. Each map is drawn
    with `cmap` on a range symmetric about 0 (-m .. m, m = largest |value| of that map) and its own colorbar.
    titles: K strings, one per map (default "map 0", "map 1", ...).
    """
    image = _as_image(image, "image")
    maps = np.asarray(maps, dtype=float)
    if maps.ndim == 2:
        maps = maps[:, :, np.newaxis]
    if maps.ndim != 3 or maps.shape[2] == 0:
        raise ValueError(f"maps must have shape (H', W', K) with K >= 1 or (H', W'); got {maps.shape}")
    count = maps.shape[2]
    titles = _titles(titles, count, "map")
    figure = Figure(figsize=(2.6 * (count + 1), 2.8), layout="constrained")
    axes = figure.subplots(1, count + 1, squeeze=False)[0]
    _draw_image(axes[0], image, "input")
    for k in range(count):
        _draw_diverging(figure, axes[k + 1], maps[:, :, k], titles[k], cmap)
    return figure


def show_layer_maps(image: np.ndarray, layers: Mapping[str, np.ndarray], *, label: str = "input",
                    columns: int = 8, cmap: str = DIVERGING) -> Figure:
    """One image and the feature maps each named layer computes from it: a title per map, "conv1: filter 3".

    image: (H, W), (H, W, 1) or (H, W, 3), drawn grey top left under the title `label`. layers: layer name ->
    that layer's maps for this image, (H', W', K) (a Conv2D output without its batch axis); each layer starts
    a new row of at most `columns` panels, all of its K maps on one range symmetric about 0 (-m .. m, m = the
    largest |value| in the layer) with one colour bar per layer, so that its filters compare at a glance.
    """
    image = _as_image(image, "image")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be an int >= 1; got {columns!r}")
    if not isinstance(layers, Mapping) or not layers:
        raise ValueError(f"layers must be a non-empty mapping of layer name -> maps; got {type(layers).__name__}")
    stacks = {name: np.asarray(maps, dtype=float) for name, maps in layers.items()}
    for name, maps in stacks.items():
        if maps.ndim != 3 or maps.shape[2] == 0:
            raise ValueError(f"layers[{name!r}] must have shape (H', W', K) with K >= 1; got {maps.shape}")
    starts = np.cumsum([0] + [-(-maps.shape[2] // columns) for maps in stacks.values()])
    width = min(columns, max(maps.shape[2] for maps in stacks.values()))
    figure = Figure(figsize=(1.5 * (width + 1) + 0.8, 1.6 * starts[-1]), layout="constrained")
    axes = figure.subplots(starts[-1], width + 1, squeeze=False)
    for axis in axes.flat:
        axis.set_axis_off()
    _draw_image(axes[0, 0], image, label)
    axes[0, 0].set_axis_on()
    for (name, maps), row, end in zip(stacks.items(), starts[:-1], starts[1:], strict=True):
        limit = float(np.abs(maps).max()) or 1.0
        for k in range(maps.shape[2]):
            axis = axes[row + k // columns, 1 + k % columns]
            axis.set_axis_on()
            shown = axis.imshow(maps[:, :, k], cmap=cmap, vmin=-limit, vmax=limit)
            axis.set_title(f"{name}: filter {k}", fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
        # Beside the layer's whole rows, so that every layer's columns stay aligned.
        figure.colorbar(shown, ax=axes[row:end].ravel().tolist(), shrink=0.8, label=name)
    return figure


def show_kernels(kernels: np.ndarray, *, titles: Sequence[str] | None = None, cmap: str = DIVERGING) -> Figure:
    """Each kernel as a small heat map: its values written in the cells when they fit (at most 3x3, as
    the lessons' kernels), else one shared colour bar (the 5x5 kernels of a trained LeNet-5).

    kernels: (kh, kw) one kernel, (kh, kw, K) K kernels in one row, or (kh, kw, C, K) a grid with one row per
    input channel and one column per kernel. All panels share one range symmetric about 0.
    """
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim == 2:
        kernels = kernels[:, :, np.newaxis, np.newaxis]
    elif kernels.ndim == 3:
        kernels = kernels[:, :, np.newaxis, :]
    if kernels.ndim != 4 or 0 in kernels.shape:
        raise ValueError(f"kernels must have shape (kh, kw), (kh, kw, K) or (kh, kw, C, K); got {kernels.shape}")
    _, _, channels, count = kernels.shape
    titles = _titles(titles, count, "kernel")
    limit = float(np.abs(kernels).max()) or 1.0
    figure = Figure(figsize=(1.8 * count + 0.6, 1.8 * channels + 0.3), layout="constrained")
    axes = figure.subplots(channels, count, squeeze=False)
    for c in range(channels):
        for k in range(count):
            title = titles[k] if channels == 1 else f"{titles[k]}, channel {c}"
            shown = _draw_kernel(axes[c, k], kernels[:, :, c, k], title, cmap, limit)
    if not _values_fit(kernels.shape[:2]):
        figure.colorbar(shown, ax=axes, shrink=0.8, label="weight")
    return figure


def lesson_tshirt(data_dir: str | os.PathLike | None = None) -> np.ndarray:
    """The lesson's T-shirt: the first training image of class 0 in Fashion-MNIST, (28, 28) uint8."""
    images, labels = data.load_fashion_mnist("train", data_dir=data_dir)
    return images[int(np.argmax(labels == TSHIRT_CLASS))]


def edge_figure(out_path: str | os.PathLike | None = None, *, data_dir: str | os.PathLike | None = None,
                correlate: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> Figure:
    """The lesson figure: the T-shirt, the edge kernel [[-1, 1], [-1, 1]] and their valid cross-correlation.

    The cross-correlation is computed by `correlate(image, kernel)`, by default your `correlate2d` from
    `exercises/ex01_convolution.py`: the figure appears once that function works. The 27x27 result is drawn
    with a diverging colormap: the shirt's left edge lights up (red, positive), its right edge is negative
    (blue). When `out_path` is given the figure is also saved there (PNG, 100 dpi).
    """
    if correlate is None:
        from exercises.ex01_convolution import correlate2d as correlate
    image = lesson_tshirt(data_dir)
    response = correlate(image, EDGE_KERNEL)  # (27, 27)
    figure = Figure(figsize=(8.4, 3.0), layout="constrained")
    left, middle, right = figure.subplots(1, 3, width_ratios=[1.0, 0.55, 1.2])
    _draw_image(left, image, f"input: {data.FASHION_CLASSES[TSHIRT_CLASS]} (28x28)")
    _draw_kernel(middle, EDGE_KERNEL, "edge kernel (2x2)", DIVERGING, 1.0)
    _draw_diverging(figure, right, response, "valid cross-correlation (27x27)", DIVERGING)
    right.set_xlabel("left edge > 0 (red), right edge < 0 (blue)", fontsize=8)
    if out_path is not None:
        figure.savefig(out_path, dpi=100)
    return figure


def plot_history(history: Any) -> Figure:
    """Training curves per epoch: one panel for the loss, one for each other metric (accuracy, ...).

    history: a keras `History` (its `.history` dict is used) or such a dict, {"loss": [...], "accuracy": [...],
    "val_loss": [...], ...}. A "val_" series is drawn in the same panel as its training series.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs:
        raise ValueError("history must be a keras History or a non-empty dict of per-epoch lists; "
                         f"got {type(history).__name__}")
    names = [name for name in logs if not name.startswith("val_")]
    names += [name[4:] for name in logs if name.startswith("val_") and name[4:] not in names]
    names.sort(key=lambda name: (name != "loss", name))
    figure = Figure(figsize=(4.0 * len(names), 3.0), layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for axis, name in zip(axes, names, strict=True):
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in logs:
                values = np.asarray(logs[key], dtype=float)
                axis.plot(np.arange(1, values.size + 1), values, marker="o", label=label)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.legend(fontsize=8)
    return figure


def _as_image(image: np.ndarray, name: str) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"{name} must have shape (H, W), (H, W, 1) or (H, W, 3); got {image.shape}")
    return image


def _titles(titles: Sequence[str] | None, count: int, word: str) -> list[str]:
    if titles is None:
        return [f"{word} {k}" for k in range(count)]
    if len(titles) != count:
        raise ValueError(f"titles must have one entry per {word} ({count}); got {len(titles)}")
    return list(titles)


def _draw_image(axis, image: np.ndarray, title: str) -> None:
    if image.ndim == 2:
        axis.imshow(image, cmap="gray")
    else:
        axis.imshow(image / 255.0 if image.dtype == np.uint8 else image)
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])


def _draw_diverging(figure: Figure, axis, values: np.ndarray, title: str, cmap: str) -> None:
    limit = float(np.abs(values).max()) or 1.0
    shown = axis.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    figure.colorbar(shown, ax=axis, shrink=0.85)
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])


def _values_fit(shape: tuple[int, int]) -> bool:
    """Whether a kernel's values can be written in its cells without overlapping (at most 3x3 in a panel)."""
    return shape[0] <= 3 and shape[1] <= 3


def _draw_kernel(axis, kernel: np.ndarray, title: str, cmap: str, limit: float):
    """Draw one kernel; returns the image, for a colour bar."""
    shown = axis.imshow(kernel, cmap=cmap, vmin=-limit, vmax=limit)
    if _values_fit(kernel.shape):
        for (row, col), value in np.ndenumerate(kernel):
            colour = "white" if abs(value) > 0.5 * limit else "black"
            axis.text(col, row, f"{value:.2g}", ha="center", va="center", fontsize=9, color=colour)
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    return shown
