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
# # Lesson 2: zero padding and strides
# A 'valid' correlation shrinks the image by `k - 1`. Padding the border with zeros keeps the size
# (`"same"`); a stride skips positions: `out = (n + pad_total - k) // stride + 1`.
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
# ## The kernel sliding over a zero-padded image
# A 3x3 kernel over a 6x6 image padded by 1: 36 positions, so the output is 6x6 again.

# %%
from IPython.display import Image, display
from matplotlib.animation import FuncAnimation, PillowWriter

from exercises.ex02_padding import conv2d, output_size, zero_pad

image = digits[0][8:20:2, 8:20:2].astype(float) / 255  # a 6x6 corner of a digit
padded = zero_pad(image, 1)                             # (8, 8)
kernel = np.array([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])
result = conv2d(image, kernel, padding="same")          # (6, 6)

figure, (left, right) = plt.subplots(1, 2, figsize=(6, 3))
left.imshow(padded, cmap="gray", vmin=0, vmax=1)
left.set_title("zero-padded input (8x8)")
window = plt.Rectangle((-0.5, -0.5), 3, 3, fill=False, edgecolor="red", linewidth=2)
left.add_patch(window)
shown = np.full(result.shape, np.nan)
picture = right.imshow(shown, cmap="RdBu_r", vmin=-np.abs(result).max(), vmax=np.abs(result).max())
right.set_title("output (6x6)")

def draw(step):
    i, j = divmod(step, result.shape[1])
    window.set_xy((j - 0.5, i - 0.5))
    shown[i, j] = result[i, j]
    picture.set_data(shown)
    return window, picture

animation = FuncAnimation(figure, draw, frames=result.size, interval=150, blit=True)
animation.save("padding.gif", writer=PillowWriter(fps=6))
plt.close(figure)
display(Image(filename="padding.gif"))

# %% [markdown]
# ## Output sizes

# %%
for padding in ("valid", "same", "full", 1):
    print(f"28 pixels, 5x5 kernel, padding {padding!r}: {output_size(28, 5, padding)}")
print("stride 2, 'same':", output_size(28, 3, "same", stride=2))

# %%
maps = np.stack([conv2d(fashion_images[0], plots.EDGE_KERNEL, padding=p)[:27, :27] for p in ("valid", "same")], -1)
plots.show_feature_maps(fashion_images[0], maps, titles=["valid", "same (cropped)"])

# %% [markdown]
# ## The public checks
# The same tests as `pytest exercises/test_ex02_padding.py`; this cell fails until every one of them passes.

# %%
public_tests = BUNDLE / "exercises" / "test_ex02_padding.py"
status = pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", str(public_tests)])
assert status == 0, "some public checks fail: read the messages above"
