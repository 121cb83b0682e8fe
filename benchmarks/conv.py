"""Speed of the reference `correlate2d` against scipy, TensorFlow and the lesson's double loop.

    python benchmarks/conv.py [--repeat N]

Prints a table (median milliseconds on a 512x512 float64 image with 3x3 and 5x5 kernels, all measured in
this run) and a last line `conv: vs_scipy=R vs_loop=L`: the reference time divided by scipy's and by the
double loop's, the worse (larger) ratio of the two kernel sizes.
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


def median_ms(function, *args, repeat: int) -> float:
    function(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
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
        rows.append({
            "kernel": f"{k}x{k}",
            "convkit": median_ms(correlate2d, image, kernel, repeat=args.repeat),
            "scipy": median_ms(scipy.signal.correlate2d, image, kernel, "valid", repeat=args.repeat),
            "tf.nn.conv2d": median_ms(lambda i, k: tf.nn.conv2d(i, k, 1, "VALID").numpy(), image_tf, kernel_tf,
                                      repeat=args.repeat),
            "loop": median_ms(lesson_loop, image, kernel, repeat=1),
        })
    print(f"{'kernel':<8}{'convkit ms':>12}{'scipy ms':>12}{'tf.nn.conv2d ms':>17}{'loop ms':>12}"
          f"{'vs scipy':>10}{'vs loop':>10}")
    for row in rows:
        print(f"{row['kernel']:<8}{row['convkit']:>12.2f}{row['scipy']:>12.2f}{row['tf.nn.conv2d']:>17.2f}"
              f"{row['loop']:>12.1f}{row['convkit'] / row['scipy']:>10.3f}{row['convkit'] / row['loop']:>10.4f}")
    vs_scipy = max(row["convkit"] / row["scipy"] for row in rows)
    vs_loop = max(row["convkit"] / row["loop"] for row in rows)
    print(f"conv: vs_scipy={vs_scipy:.3f} vs_loop={vs_loop:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
