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
# # Lesson 6: a LeNet-5 replica
# Conv(6, 5x5, same) -> pool -> Conv(16, 5x5) -> pool -> Flatten -> Dense(120) -> Dense(84) -> Dense(10).
# The last 5,000 training images are held out as a validation set: the model never trains on them, and
# they are measured after every epoch, which shows whether it learns digits or memorizes its training images.
# Training on the other 55,000 takes about a minute on a laptop CPU; set `CONVKIT_LESSON_IMAGES` to train on
# fewer (the kit's CI uses 512).
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
from exercises.ex06_lenet5 import build_lenet5, train_lenet5

model = build_lenet5()
model.summary()
print("parameters:", model.count_params())

# %%
VALIDATION = 5000
train_x, train_y = data.load_mnist("train", download=IN_COLAB)
x, y = data.add_channel(data.to_float(train_x)), train_y.astype(np.int64)
images = min(int(os.environ.get("CONVKIT_LESSON_IMAGES", len(x))), len(x) - VALIDATION)
history = train_lenet5(model, x[:images], y[:images], validation_data=(x[-VALIDATION:], y[-VALIDATION:]))
plots.plot_history(history)

# %%
test_x = data.add_channel(data.to_float(digits))
accuracy = float(np.mean(np.argmax(model.predict(test_x, verbose=0), axis=1) == digit_labels))
print(f"test accuracy on {images} training images: {accuracy:.3f}")

# %% [markdown]
# What the network looks at: the first layer's six 5x5 kernels, then what each of the two convolutional
# layers computes from one test digit (six 28x28 maps, then sixteen 10x10 ones), one panel per filter.

# %%
from exercises.train import conv_layer_maps

maps = conv_layer_maps(model, test_x[0])  # layer name -> (H', W', K)
plots.show_kernels(model.get_layer(next(iter(maps))).get_weights()[0][:, :, 0, :])

# %%
plots.show_layer_maps(test_x[0], maps, label=f"input: digit {digit_labels[0]}")

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex06_lenet5.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex06_lenet5.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
