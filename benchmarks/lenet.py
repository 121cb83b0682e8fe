"""LeNet-5 on MNIST: the reference recipe of solutions/ex06_lenet5.py over several seeds, the plain recipe beside it.

    CONVKIT_DATA_DIR=/path/to/datasets python benchmarks/lenet.py [--seeds N] [--quick]

Both recipes train the same architecture on the 60,000 training images and are scored on the 10,000 test
images, in this one process:

- reference: `build_lenet5()` (standardizing Rescaling first) trained by `train_lenet5` with its defaults;
- plain: the same layers without the Rescaling layer, Adam at a fixed learning rate of 1e-3, batch 128, as
  many epochs as the reference (one seed only: it is there to show what the recipe buys).

Prints one row per run (recipe, seed, test accuracy, seconds in `train_lenet5` or `fit`, seconds to load
the data, seconds to import TensorFlow) and a last line `lenet: accuracy=A seconds=S seeds=N`: the medians
over the reference seeds, where seconds = data loading + training. `--quick` runs one seed of the
reference and one epoch of the plain recipe. The data folder is CONVKIT_DATA_DIR, by default
../shared/datasets beside the repository.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exercises.data import add_channel, load_mnist, to_float  # noqa: E402
from solutions.ex06_lenet5 import build_lenet5, train_lenet5  # noqa: E402


def plain_lenet5():
    """The reference architecture without the standardizing Rescaling layer: it sees raw [0, 1] pixels."""
    import keras

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 5, padding="valid", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(120, activation="relu"),
        keras.layers.Dense(84, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="plain_lenet5")


def train_plain(model, x_train: np.ndarray, y_train: np.ndarray, *, epochs: int, seed: int):
    """The plain recipe: Adam with a fixed learning rate of 1e-3, batch 128, no schedule."""
    import keras

    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x_train, y_train, batch_size=128, epochs=epochs, shuffle=True, verbose=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the reference recipe (default 3)")
    parser.add_argument("--quick", action="store_true", help="one reference seed, one plain epoch (smoke)")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    seeds = [0] if args.quick else list(range(args.seeds))
    data_dir = os.environ.get("CONVKIT_DATA_DIR") or str(ROOT.parent / "shared" / "datasets")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    start = time.perf_counter()
    import keras
    import tensorflow  # noqa: F401 - imported here so that its import time is measured, not the fit's.
    import_seconds = time.perf_counter() - start

    start = time.perf_counter()
    train_images, y_train = load_mnist("train", data_dir=data_dir)
    test_images, y_test = load_mnist("test", data_dir=data_dir)
    x_train, x_test = add_channel(to_float(train_images)), add_channel(to_float(test_images))
    load_seconds = time.perf_counter() - start

    rows = []  # (recipe, seed, accuracy, train seconds)
    reference_epochs = train_lenet5.__kwdefaults__["epochs"]
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = build_lenet5()
        start = time.perf_counter()
        train_lenet5(model, x_train, y_train, seed=seed, verbose=0)
        seconds = time.perf_counter() - start
        accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
        rows.append((f"reference ({reference_epochs} epochs)", seed, accuracy, seconds))
        print(f"{rows[-1][0]:<22} seed {seed}: accuracy {accuracy:.4f} in {seconds:.1f} s", flush=True)

    plain_epochs = 1 if args.quick else reference_epochs
    keras.utils.set_random_seed(0)
    model = plain_lenet5()
    start = time.perf_counter()
    train_plain(model, x_train, y_train, epochs=plain_epochs, seed=0)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    rows.append((f"plain ({plain_epochs} epoch{'s' * (plain_epochs > 1)})", 0, accuracy, seconds))

    print()
    print(f"{'recipe':<22} {'seed':>4} {'accuracy':>9} {'fit s':>7} {'load s':>7} {'TF import s':>12}")
    for recipe, seed, accuracy, seconds in rows:
        print(f"{recipe:<22} {seed:>4} {accuracy:>9.4f} {seconds:>7.1f} {load_seconds:>7.1f} {import_seconds:>12.1f}")
    print("(the data is loaded once and its load seconds are added to every reference run's total)")
    reference = [row for row in rows if row[0].startswith("reference")]
    accuracy = statistics.median(row[2] for row in reference)
    seconds = statistics.median(row[3] for row in reference) + load_seconds
    print(f"lenet: accuracy={accuracy:.4f} seconds={seconds:.1f} seeds={len(reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
