"""Speed of the reference `correlate2d` against scipy, TensorFlow and the lesson's double loop.

    python benchmarks/conv.py [--rounds N]

On a 512x512 float64 image with 3x3 and 5x5 kernels, the compared implementations run interleaved in
repeated rounds (convkit, scipy, TensorFlow, convkit, scipy, ... ; the double loop once per round, it is
slow), so that load from other processes falls on all of them alike. Prints a table (median milliseconds
and the median of the per-round ratios) and a last line `conv: vs_scipy=R vs_loop=L`: the median over rounds
of the reference time divided by scipy's and by the double loop's in the same round, the worse (larger)
ratio of the two kernel sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from solutions.ex01_convolution import correlate2d  # noqa: E402


def lesson_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The lesson's double loop over output pixels, with the output size fixed to H - kh + 1."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def once_ms(function, *args) -> float:
    """Milliseconds of one call of `function(*args)`."""
    start = time.perf_counter()
    function(*args)
    return 1000 * (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--loop-rounds", type=int, default=3,
                        help="of these, the first rounds that also time the double loop (default 3)")
    args = parser.parse_args()
    if args.rounds < 1 or not 1 <= args.loop_rounds <= args.rounds:
        parser.error("--rounds must be at least 1 and --loop-rounds between 1 and --rounds")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import scipy.signal
    import tensorflow as tf

    rng = np.random.default_rng(0)
    image = rng.normal(size=(512, 512))
    rows = []
    for k in (3, 5):
        kernel = rng.normal(size=(k, k))
        image_tf = tf.constant(image[None, :, :, None])
        kernel_tf = tf.constant(kernel[:, :, None, None])
        np.testing.assert_allclose(correlate2d(image, kernel), scipy.signal.correlate2d(image, kernel, "valid"))
        # Each tool with its arguments: (function, *args), called as function(*args).
        tools = {
            "convkit": (correlate2d, image, kernel),
            "scipy": (scipy.signal.correlate2d, image, kernel, "valid"),
            "tf.nn.conv2d": (lambda i, k: tf.nn.conv2d(i, k, 1, "VALID").numpy(), image_tf, kernel_tf),
        }
        for function, *arguments in tools.values():
            function(*arguments)  # Warm-up: caches, TensorFlow's first call.
        times = {name: [] for name in (*tools, "loop")}
        vs_scipy, vs_loop = [], []
        for round_ in range(args.rounds):
            for name, (function, *arguments) in tools.items():
                times[name].append(once_ms(function, *arguments))
            # Ratios within one round compare calls made moments apart, under the same load.
            vs_scipy.append(times["convkit"][-1] / times["scipy"][-1])
            if round_ < args.loop_rounds:
                times["loop"].append(once_ms(lesson_loop, image, kernel))
                vs_loop.append(times["convkit"][-1] / times["loop"][-1])
        row = {"kernel": f"{k}x{k}", **{name: float(np.median(values)) for name, values in times.items()}}
        row["vs scipy"], row["vs loop"] = float(np.median(vs_scipy)), float(np.median(vs_loop))
        rows.append(row)
    print(f"{'kernel':<8}{'convkit ms':>12}{'scipy ms':>12}{'tf.nn.conv2d ms':>17}{'loop ms':>12}"
          f"{'vs scipy':>10}{'vs loop':>10}")
    for row in rows:
        print(f"{row['kernel']:<8}{row['convkit']:>12.2f}{row['scipy']:>12.2f}{row['tf.nn.conv2d']:>17.2f}"
              f"{row['loop']:>12.1f}{row['vs scipy']:>10.3f}{row['vs loop']:>10.4f}")
    print(f"(medians over {args.rounds} interleaved rounds, the loop over {args.loop_rounds}; the ratios are "
          f"medians of per-round ratios)")
    vs_scipy = max(row["vs scipy"] for row in rows)
    vs_loop = max(row["vs loop"] for row in rows)
    print(f"conv: vs_scipy={vs_scipy:.3f} vs_loop={vs_loop:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
