"""Train your LeNet-5, save `lenet5.weights.h5` for submission, and see the accuracy the grader checks.

    python -m exercises.train                       # uses exercises/ex06_lenet5.py
    python -m exercises.train --module path/to/ex06_lenet5.py --out lenet5.weights.h5 --figures figures/

It builds the model with your `build_lenet5()`, trains it with your `train_lenet5(model, x, y,
validation_data=...)` on the first 55,000 MNIST training images, measuring it after every epoch on the last
5,000 (`--validation N` holds out N; 0 trains on all 60,000), saves the weights, and measures the accuracy
on the 10,000 test images and on a subset of them shifted by up to one pixel, like the grader does (the
grader picks its own subset). With `--figures` it also draws the training and validation curves, the first
layer's kernels and one test digit's feature maps in every convolutional layer.

The arguments are checked and the MNIST files found before your module (and so TensorFlow) is imported,
so a typo costs a second, not a TensorFlow start or a training run. `--download` fetches the MNIST files
into `datasets/` when they are nowhere else, each checked against its SHA-256.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exercises import data

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Accuracy on the shifted subset for the grader's two LeNet accuracy tests.
GRADER_THRESHOLDS = (0.95, 0.97)
#: The training images held out by default to draw the validation curves, and at most (half of MNIST's 60,000).
VALIDATION_IMAGES = 5000
MAX_VALIDATION = 30000


def load_module(path: Path):
    """Import a student's ex06 module from its file."""
    spec = importlib.util.spec_from_file_location("ex06_lenet5", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(model, history, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, Figure]:
    """File name -> figure: the training (and validation) curves, the first layer's kernels, and the first
    test digit's feature maps in every Conv2D layer, one panel per filter titled "layer: filter k"."""
    from exercises import plots

    maps = conv_layer_maps(model, x_test[0])
    kernels = model.get_layer(next(iter(maps))).get_weights()[0]  # (5, 5, 1, 6)
    return {"training_curves.png": plots.plot_history(history),
            "first_layer_kernels.png": plots.show_kernels(kernels),
            "feature_maps.png": plots.show_layer_maps(x_test[0], maps, label=f"input: digit {y_test[0]}")}


def conv_layer_maps(model, image: np.ndarray) -> dict[str, np.ndarray]:
    """Conv2D layer name -> its feature maps `(H', W', K)` for one `image` `(H, W, C)`, in the model's order."""
    import keras

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError("the model has no Conv2D layer, so it has no kernels or feature maps to draw")
    outputs = keras.Model(model.inputs, [layer.output for layer in convs]).predict(image[np.newaxis], verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]  # one (1, H', W', K) per layer
    return {layer.name: stack[0] for layer, stack in zip(convs, outputs, strict=True)}


def draw_figures(model, history, x_test: np.ndarray, y_test: np.ndarray, folder: Path) -> list[Path]:
    """The `figures` as PNG files in `folder` (created if needed); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in figures(model, history, x_test, y_test).items():
        figure.savefig(folder / name, dpi=100)
        written.append(folder / name)
    return written


def takes_validation_data(train) -> bool:
    """Whether a `train_lenet5` accepts `validation_data=` (the exercise's signature, or **kwargs)."""
    try:
        parameters = inspect.signature(train).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "validation_data" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


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
    if not 0 <= args.validation <= MAX_VALIDATION:
        raise ValueError(f"--validation {args.validation} must be between 0 (train on every image) and "
                         f"{MAX_VALIDATION:,} training images held out")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train your LeNet-5 and save lenet5.weights.h5.")
    parser.add_argument("--module", type=Path, default=Path(__file__).with_name("ex06_lenet5.py"))
    parser.add_argument("--out", type=Path, default=Path("lenet5.weights.h5"))
    parser.add_argument("--figures", type=Path, default=None, help="folder for the training pictures")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validation", type=int, default=VALIDATION_IMAGES, metavar="N",
                        help="hold out the last N training images to measure the model on after every epoch "
                             f"(default {VALIDATION_IMAGES}; 0 trains on all of them)")
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
    y_train = labels.astype(np.int64)
    model = student.build_lenet5()
    validation = {}
    if args.validation and takes_validation_data(student.train_lenet5):
        held_out = len(x_train) - args.validation
        validation = {"validation_data": (x_train[held_out:], y_train[held_out:])}
        x_train, y_train = x_train[:held_out], y_train[:held_out]
        print(f"training on {held_out:,} images, measured after every epoch on the last {args.validation:,}")
    elif args.validation:
        print("your train_lenet5 has no validation_data parameter: training on every image, no validation curve")
    started = time.monotonic()
    history = student.train_lenet5(model, x_train, y_train, **validation)
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
        for path in draw_figures(model, history, x_test, test_labels, args.figures):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
