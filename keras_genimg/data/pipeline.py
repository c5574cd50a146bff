"""`load_images`: one entry point for every image source."""

import os
from pathlib import Path

import numpy as np

from keras_genimg.data import (
    arrays,
    finish,
    folder,
    idx,
    npz,
    shapes,
    tfds_source,
)
from keras_genimg.data.errors import DataSourceError

SOURCE_FORMS = (
    "'shapes' (built in, no download); "
    f"{', '.join(repr(n) for n in tfds_source.TFDS_NAMES)} or "
    "'tfds:NAME' (TensorFlow Datasets); a path to a directory of "
    "MNIST-format IDX files, an .npz file or a folder of images; a numpy "
    "array of images x or a tuple (x, y)"
)


def load_images(
    source,
    split="train",
    image_size=None,
    channels=None,
    batch_size=64,
    with_labels=False,
    shuffle=True,
    seed=None,
    limit=None,
    data_dir=None,
):
    """Load images as a `tf.data.Dataset` of batches in [0, 1].

    Every source ends in the same pipeline: the first `limit` examples are
    taken, each image is scaled to float32 [0, 1], converted to `channels`
    and resized to `image_size` once, then cached, shuffled and batched.

    Args:
        source: The images. One of:
            - `"shapes"`: a built-in data set of drawn shapes, 10,000
              train and 2,000 test images of 32x32 (see
              `keras_genimg.data.shapes`), drawn directly at `image_size`;
            - `"mnist"`, `"fashion_mnist"`, `"cifar10"` or `"tfds:NAME"`:
              a TensorFlow Datasets data set with an `image` feature;
            - a path (str or `os.PathLike`) to a directory of MNIST-format
              IDX files (`*-images-idx3-ubyte[.gz]` with optional
              `*-labels-idx1-ubyte[.gz]`), to an `.npz` file (keys
              `x_<split>`/`y_<split>` or `x`/`y`), or to a folder of
              images (class subfolders give labels);
            - a numpy array `x` or a tuple `(x, y)`: uint8 images in
              [0, 255] or floating images in [0, 1], shaped (N, H, W) or
              (N, H, W, C) with C in {1, 3, 4}, and integer labels.

            A data set name wins over a path of the same name: write
            `"./mnist"` for a local directory called `mnist`.
        split: str. The split to read, e.g. `"train"` or `"test"`. Ignored
            by in-memory arrays and folders. Defaults to `"train"`.
        image_size: int, tuple `(height, width)` or None. Resize to this
            size. Defaults to None (keep the source's size).
        channels: int or None. 1 for grayscale or 3 for RGB. Defaults to
            None (keep the source's channels).
        batch_size: int. Images per batch; the last batch may be smaller.
            Defaults to 64.
        with_labels: bool. Yield `(images, labels)` with int32 labels of
            shape (B,). Defaults to False (images only).
        shuffle: bool. Shuffle, in a new order each epoch. Defaults to
            True.
        seed: int or None. Seed of the shuffle. Defaults to None.
        limit: int or None. Use only the first `limit` examples. Defaults
            to None (all).
        data_dir: str or None. TensorFlow Datasets data directory.
            Defaults to None (`~/tensorflow_datasets`).

    Returns:
        A `tf.data.Dataset` of float32 images shaped (B, H, W, C) in
        [0, 1], or of `(images, labels)` when `with_labels` is True.

    Raises:
        DataSourceError: an argument is invalid, or the source is missing,
            unreadable or malformed.

    Example:

    ```python
    ds = load_images("shapes", batch_size=128, seed=0)
    images = next(iter(ds))  # (128, 32, 32, 1), float32 in [0, 1]
    ds = load_images("mnist", split="test", image_size=32, with_labels=True)
    ```
    """
    image_size = _check_args(
        split, image_size, channels, batch_size, limit, seed
    )
    ds, name = _open_source(
        source, split, image_size, channels, limit, data_dir
    )
    return finish.finish_dataset(
        ds,
        name,
        batch_size=batch_size,
        with_labels=with_labels,
        image_size=image_size,
        channels=channels,
        shuffle=shuffle,
        seed=seed,
        limit=limit,
    )


def load_arrays(
    source,
    split="train",
    image_size=None,
    channels=None,
    with_labels=False,
    limit=None,
    data_dir=None,
):
    """Load images into numpy arrays, in source order.

    Takes the same arguments as `load_images`, without shuffling or
    batching; handy for a fixed batch of real images.

    Args:
        source: See `load_images`.
        split: str. See `load_images`. Defaults to `"train"`.
        image_size: int, tuple or None. See `load_images`.
        channels: int or None. See `load_images`.
        with_labels: bool. Also return the labels; otherwise `y` is None.
            Defaults to False.
        limit: int or None. Use only the first `limit` examples.
        data_dir: str or None. See `load_images`.

    Returns:
        `(x, y)`: float32 images in [0, 1] shaped (N, H, W, C), and int32
        labels shaped (N,) or None.

    Example:

    ```python
    x, y = load_arrays("shapes", split="test", limit=64, with_labels=True)
    ```
    """
    ds = load_images(
        source,
        split=split,
        image_size=image_size,
        channels=channels,
        batch_size=1024,
        with_labels=with_labels,
        shuffle=False,
        limit=limit,
        data_dir=data_dir,
    )
    batches = list(ds.as_numpy_iterator())
    if not batches:
        raise DataSourceError(f"The source {source!r} holds no images.")
    if not with_labels:
        return np.concatenate(batches), None
    x, y = zip(*batches)
    return np.concatenate(x), np.concatenate(y)


def _check_args(split, image_size, channels, batch_size, limit, seed):
    if not isinstance(split, str) or not split:
        raise DataSourceError(
            f"split must be a non-empty string such as 'train' or 'test', "
            f"got {split!r}."
        )
    if channels not in (None, 1, 3) or isinstance(channels, bool):
        raise DataSourceError(
            f"channels must be None (keep), 1 (grayscale) or 3 (RGB), got "
            f"{channels!r}."
        )
    if not _is_int(batch_size) or batch_size < 1:
        raise DataSourceError(
            f"batch_size must be an int >= 1, got {batch_size!r}."
        )
    if limit is not None and (not _is_int(limit) or limit < 1):
        raise DataSourceError(
            f"limit must be None (all) or an int >= 1, got {limit!r}."
        )
    if seed is not None and not _is_int(seed):
        raise DataSourceError(f"seed must be None or an int, got {seed!r}.")
    if image_size is None:
        return None
    size = (image_size, image_size) if _is_int(image_size) else image_size
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(_is_int(s) and s >= 1 for s in size)
    ):
        raise DataSourceError(
            "image_size must be None, a positive int or a (height, width) "
            f"pair of positive ints, got {image_size!r}."
        )
    return int(size[0]), int(size[1])


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _open_source(source, split, image_size, channels, limit, data_dir):
    """Dispatch to a source: `(dataset of (image, label), display name)`."""
    if isinstance(source, str):
        if source == "shapes":
            x, y = shapes.shapes_split(split, image_size, channels, limit)
            return arrays.arrays_to_dataset(x, y), "'shapes'"
        if source in tfds_source.TFDS_NAMES:
            return tfds_source.load_tfds(source, split, data_dir), repr(source)
        if source.startswith(tfds_source.TFDS_PREFIX):
            name = source[len(tfds_source.TFDS_PREFIX) :]
            if not name:
                raise DataSourceError(
                    "source 'tfds:' needs a data set name, e.g. 'tfds:mnist'."
                )
            return tfds_source.load_tfds(name, split, data_dir), repr(source)
    if isinstance(source, (str, os.PathLike)):
        return _open_path(
            Path(source).expanduser(), split, image_size, channels
        )
    if isinstance(source, tuple):
        if len(source) != 2:
            raise DataSourceError(
                f"A tuple source must be (x, y), got a tuple of "
                f"{len(source)} items. Valid sources: {SOURCE_FORMS}."
            )
        x, y = arrays.check_arrays(source[0], source[1], name="x")
        return arrays.arrays_to_dataset(x, y), "x"
    if isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        x, _ = arrays.check_arrays(source, name="x")
        return arrays.arrays_to_dataset(x), "x"
    raise DataSourceError(
        f"Unsupported source {source!r}. Valid sources: {SOURCE_FORMS}."
    )


def _open_path(path, split, image_size, channels):
    name = repr(str(path))
    if path.is_dir():
        if idx.is_idx_dir(path):
            x, y = idx.load_idx(path, split)
        else:
            return folder.load_folder(path, image_size, channels), name
    elif path.is_file() and path.suffix.lower() == ".npz":
        x, y = npz.load_npz(path, split)
    elif path.is_file() and "idx3-ubyte" in path.name:
        x, y = idx.load_idx(path, split)
    elif path.exists():
        raise DataSourceError(
            f"Cannot read {str(path)!r}: unsupported file type. Valid "
            f"sources: {SOURCE_FORMS}."
        )
    else:
        raise DataSourceError(
            f"Unknown source {str(path)!r}: not a known data set name and "
            f"no such file or directory. Valid sources: {SOURCE_FORMS}."
        )
    x, y = arrays.check_arrays(x, y, name=name)
    return arrays.arrays_to_dataset(x, y), name
