# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1: convolution as a sliding dot product
# A kernel slides over the image; at each position the output is the sum of the products of the kernel
# with the pixels under it. Deep-learning libraries call this *convolution*, although it is a
# cross-correlation: true convolution flips the kernel first.
# %% [markdown]
# **Open in Colab**: open this notebook from your course page, then run the cell below. On Colab it installs
# the exercises from `BUNDLE_URL` (a wheel or `git+https://...` address your instructor sets) and fetches
# MNIST and Fashion-MNIST, each file checked against its SHA-256. On your own machine (with
# `pip install -e .` done in the bundle) it only finds the exercises next to this folder.

# %%
import os
import subprocess
import sys
from pathlib import Path

BUNDLE_URL = os.environ.get("CONVKIT_BUNDLE_URL", "")  # Your instructor writes the bundle's address here.
IN_COLAB = "google.colab" in sys.modules
if IN_COLAB and BUNDLE_URL:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", BUNDLE_URL], check=True)
for place in (Path.cwd(), Path.cwd().parent):
    if (place / "exercises").is_dir() and str(place) not in sys.path:
        sys.path.insert(0, str(place))
BUNDLE = next((p for p in (Path.cwd(), Path.cwd().parent) if (p / "exercises").is_dir()), Path.cwd())

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython import get_ipython

# Figures (those of `exercises.plots` too) are drawn inline, below the cell that returns them.
get_ipython().run_line_magic("matplotlib", "inline")

from exercises import data, plots

fashion_images, fashion_labels = data.load_fashion_mnist("test", download=IN_COLAB)
digits, digit_labels = data.load_mnist("test", download=IN_COLAB)

# %% [markdown]
# ## The seed loop and its off-by-one
# The lesson's first version hard-codes a 2x2 kernel and stops at `range(H - 2)`. A 2x2 kernel fits
# `H - 2 + 1 = H - 1` times along a side, so that loop drops the last row and column.

# %%
def seed_correlate(image, kernel):
    H, W = image.shape
    out = np.zeros((H - 2, W - 2))
    for i in range(H - 2):          # should be range(H - kh + 1): the last row is lost
        for j in range(W - 2):
            out[i, j] = np.sum(image[i:i + 2, j:j + 2] * kernel)
    return out

small = np.arange(16.0).reshape(4, 4)
print("seed loop output shape:", seed_correlate(small, np.ones((2, 2))).shape, "- the right shape is (3, 3)")

# %% [markdown]
# ## The edge kernel on a T-shirt
# The kernel `[[-1, 1], [-1, 1]]` answers where brightness rises from left to right.

# %%
tshirt = plots.lesson_tshirt()
plt.matshow(plots.EDGE_KERNEL, cmap="RdBu_r", vmin=-1, vmax=1)
plt.title("edge kernel")
plt.show()

# %% [markdown]
# ## Your `correlate2d` on real images

# %%
from exercises.ex01_convolution import convolve2d, correlate2d

edges = correlate2d(tshirt, plots.EDGE_KERNEL)
print("output shape", edges.shape, "dtype", edges.dtype)
plots.edge_figure(correlate=correlate2d)

# %%
flipped = convolve2d(tshirt, plots.EDGE_KERNEL)
print("convolution = correlation with the flipped kernel:",
      np.allclose(flipped, correlate2d(tshirt, plots.EDGE_KERNEL[::-1, ::-1])))

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex01_convolution.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex01_convolution.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
