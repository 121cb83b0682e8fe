"""Train your LeNet-5, save `lenet5.weights.h5` for submission, and see the accuracy the grader checks.

    python -m exercises.train                       # uses exercises/ex06_lenet5.py
    python -m exercises.train --module path/to/ex06_lenet5.py --out lenet5.weights.h5 --figures figures/

It builds the model with your `build_lenet5()`, trains it with your `train_lenet5(model, x, y)` on the
60,000 MNIST training images, saves the weights, and measures the accuracy on the 10,000 test images and
on a subset of them shifted by up to one pixel, like the grader does (the grader picks its own subset).
With `--figures` it also draws the training curves, the first layer's kernels and one digit's feature maps.

The arguments are checked and the MNIST files found before your module (and so TensorFlow) is imported,
so a typo costs a second, not a TensorFlow start or a training run. `--download` fetches the MNIST files
into `datasets/` when they are nowhere else, each checked against its SHA-256.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from exercises import data

#: Accuracy on the shifted subset for the grader's two LeNet accuracy tests.
GRADER_THRESHOLDS = (0.95, 0.97)


def load_module(path: Path):
    """Import a student's ex06 module from its file."""
    spec = importlib.util.spec_from_file_location("ex06_lenet5", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def draw_figures(model, history, x_test: np.ndarray, folder: Path) -> list[Path]:
    """Training curves, first-layer kernels and one digit's first-layer feature maps, as PNG files."""
    import keras

    from exercises import plots

    folder.mkdir(parents=True, exist_ok=True)
    first_conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    kernels = first_conv.get_weights()[0]  # (5, 5, 1, 6)
    probe = keras.Model(model.inputs, first_conv.output)
    maps = probe.predict(x_test[:1], verbose=0)[0]  # (28, 28, 6)
    written = []
    for name, figure in (("training_curves.png", plots.plot_history(history)),
                         ("first_layer_kernels.png", plots.show_kernels(kernels)),
                         ("first_layer_feature_maps.png", plots.show_feature_maps(x_test[0, :, :, 0], maps))):
        figure.savefig(folder / name, dpi=100)
        written.append(folder / name)
    return written


def check_arguments(args: argparse.Namespace) -> None:
    """ValueError naming the argument when `--module`, `--out` or `--figures` cannot work."""
    if not args.module.is_file():
        raise ValueError(f"--module {args.module} is not a file; give the path of your ex06_lenet5.py")
    if not args.out.name.endswith(".weights.h5"):
        raise ValueError(f"--out {args.out} must end with .weights.h5 (Keras saves weights only under that name)")
    if not args.out.parent.is_dir():
        raise ValueError(f"--out {args.out}: the folder {args.out.parent} does not exist")
    if args.figures is not None and args.figures.exists() and not args.figures.is_dir():
        raise ValueError(f"--figures {args.figures} is a file; give a folder for the PNG files")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train your LeNet-5 and save lenet5.weights.h5.")
    parser.add_argument("--module", type=Path, default=Path(__file__).with_name("ex06_lenet5.py"))
    parser.add_argument("--out", type=Path, default=Path("lenet5.weights.h5"))
    parser.add_argument("--figures", type=Path, default=None, help="folder for the training pictures")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--download", action="store_true",
                        help="download MNIST into datasets/ if it is not found (checked by SHA-256)")
    args = parser.parse_args(argv)
    try:
        check_arguments(args)
    except ValueError as error:
        parser.error(str(error))
    try:
        images, labels = data.load_mnist("train", download=args.download)
        test_images, test_labels = data.load_mnist("test", download=args.download)
    except (data.DataNotFoundError, data.DataCorruptError, data.DownloadError) as error:
        print(error, file=sys.stderr)
        return 1

    student = load_module(args.module)
    import keras

    keras.utils.set_random_seed(args.seed)
    x_train, x_test = data.add_channel(data.to_float(images)), data.add_channel(data.to_float(test_images))
    model = student.build_lenet5()
    started = time.monotonic()
    history = student.train_lenet5(model, x_train, labels.astype(np.int64))
    seconds = time.monotonic() - started
    model.save_weights(args.out)
    clean = float(np.mean(np.argmax(model.predict(x_test, verbose=0), axis=1) == test_labels))
    x_shifted, y_shifted = data.shifted_subset(test_images, test_labels, 2000, np.random.default_rng(args.seed))
    shifted = float(np.mean(np.argmax(model.predict(x_shifted, verbose=0), axis=1) == y_shifted))
    print(f"trained in {seconds:.1f} s; saved {args.out}")
    print(f"test accuracy {100 * clean:.2f} %; shifted by up to one pixel (what the grader checks) "
          f"{100 * shifted:.2f} %")
    for threshold in GRADER_THRESHOLDS:
        verdict = "passes" if shifted >= threshold else "fails"
        print(f"  grader test 'at least {100 * threshold:.0f} %': {verdict}")
    if args.figures:
        for path in draw_figures(model, history, x_test, args.figures):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
