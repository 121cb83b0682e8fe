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
# # Lesson 3: feature maps
# K kernels on one image give K feature maps, stacked on a last axis: a 28x28 image with four 3x3 kernels
# and "same" padding gives a 28x28x4 stack. Each map gets its bias, then the activation.
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
from exercises.ex03_feature_maps import feature_maps, relu

kernels = np.stack([np.array([[-1.0, 0, 1]] * 3),          # vertical edges
                    np.array([[-1.0, 0, 1]] * 3).T,        # horizontal edges
                    np.full((3, 3), 1 / 9),                # blur
                    np.array([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])], axis=-1)  # (3, 3, 4)
plots.show_kernels(kernels, titles=["vertical", "horizontal", "blur", "laplace"])

# %%
image = data.to_float(digits[0])
stack = feature_maps(image, kernels, bias=np.zeros(4), activation="relu")
print("the stack:", stack.shape)   # (28, 28, 4)
plots.show_feature_maps(image, stack, titles=["vertical", "horizontal", "blur", "laplace"])

# %%
print("relu keeps the positive part:", relu(np.array([-2.0, 0.0, 3.0])))

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex03_feature_maps.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex03_feature_maps.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
