"""Finn's padding: np.pad with one width for every axis, so a colour image gets extra zero channels."""

import math

import numpy as np


def zero_pad(image, pad):
    image = np.asarray(image, dtype=float)
    if isinstance(pad, int):
        return np.pad(image, pad)
    (top, bottom), (left, right) = pad
    widths = [(top, bottom), (left, right)] + [(top, bottom)] * (image.ndim - 2)
    return np.pad(image, widths)


def output_size(input_size, kernel_size, padding="valid", stride=1):
    if padding == "same":
        return math.ceil(input_size / stride)
    extra = {"valid": 0, "full": 2 * (kernel_size - 1)}.get(padding)
    if extra is None:
        if not isinstance(padding, int):
            raise ValueError(f"unknown padding {padding!r}")
        extra = 2 * padding
    return (input_size + extra - kernel_size) // stride + 1


def conv2d(image, kernel, padding="valid", stride=1):
    raise NotImplementedError("conv2d is not implemented yet: write it where this line stands")
