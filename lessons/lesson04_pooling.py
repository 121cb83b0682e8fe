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
# # Lesson 4: pooling
# Pooling shrinks each feature map: a 2x2 window with stride 2 keeps the largest (max) or the mean
# (average) of every block, halving the height and width.
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

import numpy as np
import pytest
from IPython import get_ipython

# Figures (those of `exercises.plots` too) are drawn inline, below the cell that returns them.
get_ipython().run_line_magic("matplotlib", "inline")

from exercises import data, plots

fashion_images, fashion_labels = data.load_fashion_mnist("test", download=IN_COLAB)
digits, digit_labels = data.load_mnist("test", download=IN_COLAB)

# %%
from exercises.ex04_pooling import average_pool2d, max_pool2d

image = data.to_float(fashion_images[1])
pooled = np.stack([max_pool2d(image), average_pool2d(image)], axis=-1)   # (14, 14, 2)
print("28x28 pooled by 2:", pooled.shape)
plots.show_feature_maps(image, pooled, titles=["max pool 2", "average pool 2"])

# %%
block = np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 0, 5, 6], [1, 2, 7, 8]])
print(max_pool2d(block))
print(average_pool2d(block))

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex04_pooling.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex04_pooling.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
