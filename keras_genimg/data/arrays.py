"""Checking in-memory image arrays and turning them into a tf.data source.

Every array-backed source (numpy arrays, `.npz`, IDX files, the built-in
shapes) goes through `check_arrays`, so they all accept and reject the same
things.
"""

import numpy as np
import tensorflow as tf

from keras_genimg.data.errors import DataSourceError

IMAGE_FORMS = (
    "a uint8 array with values in [0, 255] or a float array with values "
    "in [0, 1], shaped (N, H, W) or (N, H, W, C) with C in {1, 3, 4}"
)
LABEL_FORMS = "an integer array shaped (N,) or (N, 1)"
# Conditional models keep a weight row (or map) per class: a stray huge
# label must not size a model of millions of classes.
MAX_CLASSES = 10_000


def check_arrays(x, y=None, name="x"):
    """Validate images (and labels) and bring them to a standard form.

    Args:
        x: array-like. Images, uint8 in [0, 255] or floating in [0, 1],
            shaped (N, H, W) or (N, H, W, C) with C in {1, 3, 4}.
        y: array-like or None. Integer labels shaped (N,) or (N, 1).
        name: str. How to name `x` in error messages (the labels are
            named after it). Defaults to `"x"`.

    Returns:
        `(x, y)`: `x` a rank-4 uint8 or float32 array, `y` an int32 array
        of shape (N,) or None.

    Example:

    ```python
    x, y = check_arrays(np.zeros((8, 28, 28), "uint8"), np.arange(8))
    x.shape  # (8, 28, 28, 1)
    ```
    """
    x = _check_images(x, name)
    if y is not None:
        y = _check_labels(y, len(x), f"labels of {name}")
    return x, y


def arrays_to_dataset(x, y=None):
    """An unbatched dataset of `(image, label)`, `label` None if `y` is.

    Args:
        x: np.ndarray. Images as returned by `check_arrays`.
        y: np.ndarray or None. Labels as returned by `check_arrays`.

    Returns:
        A `tf.data.Dataset` of `(image, label)` pairs, with `label` None
        when there are no labels.

    Example:

    ```python
    ds = arrays_to_dataset(*check_arrays(np.zeros((4, 8, 8), "uint8")))
    ```
    """
    if y is None:
        return tf.data.Dataset.from_tensor_slices(x).map(lambda i: (i, None))
    return tf.data.Dataset.from_tensor_slices((x, y))


def _as_array(value, name, forms):
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:
        raise DataSourceError(
            f"{name} could not be read as an array ({err}). Expected {forms}."
        ) from err


def _check_images(x, name):
    x = _as_array(x, name, IMAGE_FORMS)
    kind = x.dtype.kind
    if x.dtype != np.uint8 and kind != "f":
        hint = ""
        if kind in "iu":
            hint = " Cast integer pixel values in [0, 255] to uint8."
        raise DataSourceError(
            f"{name} has dtype {x.dtype}, which is not an image dtype. "
            f"Expected {IMAGE_FORMS}.{hint}"
        )
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise DataSourceError(
            f"{name} has shape {x.shape}. Expected {IMAGE_FORMS}."
        )
    if len(x) == 0 or min(x.shape[1:3]) == 0:
        raise DataSourceError(
            f"{name} holds no images (shape {x.shape}). Expected {IMAGE_FORMS}."
        )
    if kind == "f":
        x = x.astype(np.float32, copy=False)
        if not np.isfinite(x).all():
            raise DataSourceError(f"{name} contains NaN or infinite values.")
        low, high = float(x.min()), float(x.max())
        if low < 0.0 or high > 1.0:
            raise DataSourceError(
                f"{name} has float values in [{low:g}, {high:g}], outside "
                "[0, 1]. Divide pixel values in [0, 255] by 255, or pass "
                "them as uint8."
            )
    return x


def _check_labels(y, count, name):
    y = _as_array(y, name, LABEL_FORMS)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.dtype.kind not in "iu" or y.ndim != 1:
        raise DataSourceError(
            f"{name} has dtype {y.dtype} and shape {y.shape}. "
            f"Expected {LABEL_FORMS}."
        )
    if len(y) != count:
        raise DataSourceError(
            f"{name} has {len(y)} entries but there are {count} images; "
            "they must match one to one."
        )
    check_class_range(y.min(), y.max(), name)
    return y.astype(np.int32)


def check_class_range(low, high, name):
    """Raises unless labels from `low` to `high` are class indices in
    `[0, MAX_CLASSES)`.

    Example:
    >>> check_class_range(0, 9, "labels")
    """
    if low < 0 or high >= MAX_CLASSES:
        raise DataSourceError(
            f"{name} must be class indices in [0, {MAX_CLASSES}); found "
            f"values from {low} to {high}. Number the classes 0, 1, ..., "
            "one less than their count."
        )
