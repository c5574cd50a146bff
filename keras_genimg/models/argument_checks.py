"""Checks of the models' arguments and images, each failing with one
clear line.

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


def check_image_batch(images, image_shape, argument="images"):
    """Returns images as float32 numpy `(batch, *image_shape)`, where they
    are floats in [0, 1] of that shape; else a `ValueError` naming the
    argument.

    Example:
    >>> check_image_batch(np.zeros((2, 4, 4, 1)), (4, 4, 1)).dtype
    dtype('float32')
    >>> check_image_batch(np.zeros((2, 4, 4)), (4, 4, 1), "x")
    Traceback (most recent call last):
    ...
    ValueError: `x` must have shape (batch, 4, 4, 1) with batch >= 1. ...
    """
    images = np.asarray(images)
    check_float_images(images.dtype, f"`{argument}`")
    if (
        images.ndim != 4
        or images.shape[1:] != tuple(image_shape)
        or not len(images)
    ):
        raise ValueError(
            f"`{argument}` must have shape (batch, "
            f"{', '.join(map(str, image_shape))}) with batch >= 1. "
            f"Received shape {images.shape}."
        )
    check_unit_range(images, f"`{argument}`")
    return images.astype("float32")


def check_training_images(x, image_shape):
    """Raises unless `fit`'s `x` holds images of `image_shape` in [0, 1].

    Arrays are checked whole (`check_image_batch`); a `tf.data.Dataset`
    by the shape and dtype of its images, and the values of its first
    batch. Generators and `keras.utils.PyDataset`s are read lazily by
    Keras; their batches are not checked here.

    Args:
        x: what `fit` was given as `x`.
        image_shape: tuple `(H, W, C)`.
    """
    spec = getattr(x, "element_spec", None)
    if spec is None:
        if isinstance(x, (np.ndarray, list)) or hasattr(x, "__array__"):
            check_image_batch(x, image_shape, argument="x")
        return
    images = spec[0] if isinstance(spec, tuple) else spec
    shape = getattr(images, "shape", None)
    if shape is None or shape.rank is None:
        return
    check_float_images(
        np.dtype(images.dtype.as_numpy_dtype), "The dataset's images"
    )
    if shape.rank != 4 or any(
        d is not None and d != e for d, e in zip(shape[1:], image_shape)
    ):
        raise ValueError(
            "The dataset's images must be batches of shape (batch, "
            f"{', '.join(map(str, image_shape))}). Received "
            f"{tuple(shape)}; batch the dataset and match `image_shape`."
        )
    # Values cannot be read from the spec: the first batch stands in.
    for batch in x.take(1):
        first = batch[0] if isinstance(batch, tuple) else batch
        check_unit_range(np.asarray(first), "The dataset's images")
