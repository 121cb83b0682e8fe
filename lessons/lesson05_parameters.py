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
# # Lesson 5: counting parameters
# Four 3x3 kernels on one channel have 4 * 9 = 36 weights, whatever the image size; one dense unit on a
# 28x28 image needs 784. On an RGB image each kernel has a 3x3 slice per channel: x3 weights.
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
import pytest
from IPython import get_ipython

# Figures (those of `exercises.plots` too) are drawn inline, below the cell that returns them.
get_ipython().run_line_magic("matplotlib", "inline")

from exercises import data

fashion_images, fashion_labels = data.load_fashion_mnist("test", download=IN_COLAB)
digits, digit_labels = data.load_mnist("test", download=IN_COLAB)

# %%
from exercises.ex05_parameters import conv2d_params, count_params, dense_params

print("four 3x3 kernels:", conv2d_params(3, 1, 4, use_bias=False), "weights;",
      conv2d_params(3, 1, 4), "with biases")
print("on RGB:", conv2d_params(3, 3, 4, use_bias=False))
print("one dense unit on 28x28:", dense_params(784, 1, use_bias=False))

# %% [markdown]
# ## LeNet-5's parameters, layer by layer

# %%
lenet = [{"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same"},
         {"type": "average_pool2d", "pool_size": 2},
         {"type": "conv2d", "filters": 16, "kernel_size": 5},
         {"type": "average_pool2d", "pool_size": 2},
         {"type": "flatten"},
         {"type": "dense", "units": 120}, {"type": "dense", "units": 84}, {"type": "dense", "units": 10}]
total = count_params(lenet, (28, 28, 1))
print("LeNet-5:", total, "parameters")   # 61,706
sizes = [count_params(lenet[:n + 1], (28, 28, 1)) - (count_params(lenet[:n], (28, 28, 1)) if n else 0)
         for n in range(len(lenet))]
plt.bar([layer["type"] + str(n) for n, layer in enumerate(lenet)], sizes)
plt.xticks(rotation=45)
plt.ylabel("parameters")
plt.show()

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex05_parameters.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex05_parameters.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
