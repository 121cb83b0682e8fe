"""LeNet-5 on MNIST: the reference recipe of solutions/ex06_lenet5.py against the plain recipe, alternated.

    CONVKIT_DATA_DIR=/path/to/datasets python benchmarks/lenet.py [--seeds N] [--plain-seeds M] [--quick]

Both recipes train the same architecture on the 60,000 training images and are scored on the 10,000 test
images, in this one process:

- reference (A): `build_lenet5()` (standardizing Rescaling first) trained by `train_lenet5` with its
  defaults (2 epochs, one-cycle schedule);
- plain (B): the same layers without the Rescaling layer, Adam at a fixed learning rate of 1e-3, batch 128,
  4 epochs.

The runs alternate per seed, A B A B ..., so that load from other processes on a shared machine falls on
both recipes alike; after the first M seeds only A runs. Prints one row per run (recipe, seed, test
accuracy, seconds in `train_lenet5` or `fit`), the ratio A / B of every pair, and a last line
`lenet: accuracy=A seconds=S seeds=N min_accuracy=M plain_seconds=P`: the median and minimum test
accuracy over the reference seeds, and the median training seconds of each recipe (data loading and the
TensorFlow import are printed but not counted). `--quick` runs one seed of each with one epoch of the
plain recipe (a smoke test). The data folder is CONVKIT_DATA_DIR, by default ../shared/datasets beside the
repository.
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

#: Epochs of the plain recipe: the budget the reference recipe is compared against.
PLAIN_EPOCHS = 4


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
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the reference recipe (default 5)")
    parser.add_argument("--plain-seeds", type=int, default=None,
                        help="seeds of the plain recipe, alternated with the first reference seeds (default: "
                             "as many as --seeds)")
    parser.add_argument("--plain-epochs", type=int, default=PLAIN_EPOCHS,
                        help=f"epochs of the plain recipe (default {PLAIN_EPOCHS})")
    parser.add_argument("--quick", action="store_true", help="one seed each, one plain epoch (smoke)")
    args = parser.parse_args()
    plain_seeds = args.seeds if args.plain_seeds is None else args.plain_seeds
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if not 1 <= plain_seeds <= args.seeds:
        parser.error("--plain-seeds must be between 1 and --seeds")
    if args.plain_epochs < 1:
        parser.error("--plain-epochs must be at least 1")
    seeds, plain_seeds, plain_epochs = ((1, 1, 1) if args.quick else (args.seeds, plain_seeds, args.plain_epochs))
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

    reference_epochs = train_lenet5.__kwdefaults__["epochs"]
    reference_name = f"reference ({reference_epochs} epochs)"
    plain_name = f"plain ({plain_epochs} epoch{'s' * (plain_epochs > 1)})"
    rows = []  # (recipe, seed, accuracy, train seconds)

    def run(name: str, seed: int) -> None:
        # Seed the weight initialization as well as the training, so that every run can be repeated.
        keras.utils.set_random_seed(seed)
        if name == reference_name:
            model = build_lenet5()
            start = time.perf_counter()
            train_lenet5(model, x_train, y_train, seed=seed, verbose=0)
        else:
            model = plain_lenet5()
            start = time.perf_counter()
            train_plain(model, x_train, y_train, epochs=plain_epochs, seed=seed)
        seconds = time.perf_counter() - start
        accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
        rows.append((name, seed, accuracy, seconds))
        print(f"{name:<22} seed {seed}: accuracy {accuracy:.4f} in {seconds:.1f} s", flush=True)

    # The first fit in a process pays one-time start-up costs of TensorFlow's runtime; pay them here, on a
    # small slice and untimed, so that they fall on neither recipe.
    keras.utils.set_random_seed(0)
    train_plain(plain_lenet5(), x_train[:2048], y_train[:2048], epochs=1, seed=0)

    for seed in range(seeds):
        run(reference_name, seed)
        if seed < plain_seeds:
            run(plain_name, seed)

    print()
    print(f"{'recipe':<22} {'seed':>4} {'accuracy':>9} {'fit s':>7}")
    for recipe, seed, accuracy, seconds in rows:
        print(f"{recipe:<22} {seed:>4} {accuracy:>9.4f} {seconds:>7.1f}")
    print(f"(loading MNIST {load_seconds:.1f} s and importing TensorFlow {import_seconds:.1f} s, once, not counted)")
    reference = {row[1]: row for row in rows if row[0] == reference_name}
    plain = {row[1]: row for row in rows if row[0] == plain_name}
    ratios = [reference[seed][3] / plain[seed][3] for seed in sorted(plain)]
    print("time ratio reference / plain, pair by pair: " + " ".join(f"{ratio:.3f}" for ratio in ratios)
          + f" (median {statistics.median(ratios):.3f})")
    accuracy = statistics.median(row[2] for row in reference.values())
    min_accuracy = min(row[2] for row in reference.values())
    seconds = statistics.median(row[3] for row in reference.values())
    plain_seconds = statistics.median(row[3] for row in plain.values())
    print(f"lenet: accuracy={accuracy:.4f} seconds={seconds:.1f} seeds={len(reference)} "
          f"min_accuracy={min_accuracy:.4f} plain_seconds={plain_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
