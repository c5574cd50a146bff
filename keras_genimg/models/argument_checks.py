"""Checks of the models' arguments, each failing with one clear line.

Every check returns the value it accepts, converted (an int, a float),
so that a constructor reads `self.filters = check_count("filters",
filters)`.
"""

import numpy as np


def check_count(name, value):
    """`value` as an int, where it is a positive int; else a `ValueError`
    naming the argument.

    Example:
    >>> check_count("filters", 8)
    8
    >>> check_count("n_critic", 0)
    Traceback (most recent call last):
    ...
    ValueError: `n_critic` must be a positive int. Received: 0
    """
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int. Received: {value!r}"
        )
    return int(value)


def check_number(name, value, low, below=None):
    """`value` as a float, where it is a real number `>= low` (and
    `< below`); else a `ValueError` naming the argument.

    Example:
    >>> check_number("beta", 2, low=0.0)
    2.0
    >>> check_number("ema_decay", "x", 0.0, below=1.0)
    Traceback (most recent call last):
    ...
    ValueError: `ema_decay` must be a number in [0, 1). Received: 'x'
    """
    number = isinstance(value, (int, float, np.integer, np.floating))
    if (
        not number
        or isinstance(value, bool)
        or not (low <= value and (below is None or value < below))
    ):
        span = f">= {low:g}" if below is None else f"in [{low:g}, {below:g})"
        raise ValueError(
            f"`{name}` must be a number {span}. Received: {value!r}"
        )
    return float(value)


def check_float_images(dtype, what):
    """Raises unless images of `dtype` are floating point, naming `what`."""
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"{what} must be floating point in [0, 1] "
            f"(divide uint8 images by 255). Received dtype {dtype}."
        )


def check_unit_range(images, what):
    """Raises unless float `images` lie in [0, 1] (to float rounding)."""
    low, high = float(np.min(images)), float(np.max(images))
    if not (low >= -1e-3 and high <= 1.001):
        raise ValueError(
            f"{what} must be in [0, 1]; received values from {low:g} to "
            f"{high:g} (divide [0, 255] images by 255, map [-1, 1] ones "
            "with (x + 1) / 2)."
        )
