"""`load_images`: one entry point for every image source; `load_dataset`
also reports what the data holds, read in the same pass."""

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from keras_genimg.data import (
    arrays,
    finish,
    folder,
    idx,
    npz,
    shapes,
    tfds_source,
)
from keras_genimg.data.errors import DataSourceError, op_error_reason

# Images per batch of a pass that reads a whole source.
PASS_BATCH = 1024

SOURCE_FORMS = (
    "'shapes' or 'simple-shapes' (built in, no download); "
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
              `"simple-shapes"`: the same shapes centred, upright and of
              one size;
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
    decoded, _ = _decode(
        source, split, image_size, channels, batch_size, with_labels,
        seed, limit, data_dir,
    )  # fmt: skip
    return finish.batch_dataset(decoded, batch_size, shuffle, seed)


class ImageData(NamedTuple):
    """A training data set and what it holds, from `load_dataset`.

    Attributes:
        dataset: the `tf.data.Dataset` of batches, as `load_images` makes.
        image_shape: `(height, width, channels)` of every image.
        num_images: int. How many images the data set holds.
        num_classes: int or None. One more than the largest label, when
            the data set yields labels.
        first_images: float32 array of the first images in source order.
        first_labels: int32 array of their labels, or None.
    """

    dataset: object
    image_shape: tuple
    num_images: int
    num_classes: int | None
    first_images: np.ndarray
    first_labels: np.ndarray | None


def load_dataset(
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
    num_first=64,
):
    """`load_images`, with what the data holds, in one pass over it.

    The source is opened and decoded once: a first pass over the decoded
    images fills the pipeline's cache and, on the way, measures the image
    shape, counts the images and classes (checking every label) and keeps
    the first `num_first` images, e.g. for fixed sample grids. Training
    then reads the images from memory.

    Args:
        source: See `load_images`.
        split, image_size, channels, batch_size, with_labels, shuffle,
            seed, limit, data_dir: See `load_images`.
        num_first: int >= 0. How many of the first images to keep.
            Defaults to 64.

    Returns:
        An `ImageData`.

    Raises:
        DataSourceError: as `load_images`, or the source holds no images
            or a label outside [0, 10,000).

    Example:

    ```python
    data = load_dataset("shapes", batch_size=32, with_labels=True, seed=0)
    data.image_shape, data.num_classes  # (32, 32, 1), 5
    ```
    """
    if not isinstance(num_first, int) or num_first < 0:
        raise ValueError(
            f"num_first must be an int >= 0. Received: {num_first!r}"
        )
    decoded, name = _decode(
        source, split, image_size, channels, batch_size, with_labels,
        seed, limit, data_dir,
    )  # fmt: skip
    images, labels, count, low, high = [], [], 0, 0, 0
    with _reading(source, name):
        for batch in decoded.batch(PASS_BATCH).as_numpy_iterator():
            x, y = batch if with_labels else (batch, None)
            # The first batch always: its slice, empty or not, gives the
            # shape of the images.
            if count < num_first or count == 0:
                images.append(x[: num_first - count])
                labels.append(None if y is None else y[: num_first - count])
            if y is not None:
                low, high = min(low, int(y.min())), max(high, int(y.max()))
            count += len(x)
    if not count:
        raise DataSourceError(f"The source {name} holds no images.")
    if with_labels:
        arrays.check_class_range(low, high, f"The labels of {name}")
    return ImageData(
        dataset=finish.batch_dataset(decoded, batch_size, shuffle, seed),
        image_shape=tuple(int(d) for d in images[0].shape[1:]),
        num_images=count,
        num_classes=high + 1 if with_labels else None,
        first_images=np.concatenate(images),
        first_labels=np.concatenate(labels) if with_labels else None,
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
        batch_size=PASS_BATCH,
        with_labels=with_labels,
        shuffle=False,
        limit=limit,
        data_dir=data_dir,
    )
    with _reading(source, repr(source)):
        batches = list(ds.as_numpy_iterator())
    if not batches:
        raise DataSourceError(f"The source {source!r} holds no images.")
    if not with_labels:
        return np.concatenate(batches), None
    x, y = zip(*batches)
    return np.concatenate(x), np.concatenate(y)


def load_slice(
    source,
    split="train",
    data_range=None,
    image_shape=None,
    labels=True,
    data_dir=None,
):
    """Images of a source, or a slice of them, shaped as a model needs.

    Args:
        source: See `load_images`.
        split: str. The split. Defaults to `"train"`.
        data_range: `(start, stop, step)` of the images to keep, in source
            order, or None (all). Only the first `stop` images are read.
        image_shape: `(height, width, channels)` to convert the images to
            (a model's `image_shape`), or None (keep).
        labels: bool. Read the labels when the source has them. Defaults
            to True.
        data_dir: str or None. See `load_images`.

    Returns:
        `(x, y)` as `load_arrays` returns, `y` None without labels.

    Raises:
        DataSourceError: as `load_arrays`, or the range ends past the
            source's last image.

    Example:

    ```python
    x, y = load_slice("shapes", "test", (0, 1000, 2), image_shape=(28, 28, 1))
    ```
    """
    options = dict(split=split, data_dir=data_dir)
    if image_shape is not None:
        # Images with alpha (4 channels, as the source gives them) are kept.
        channels = image_shape[2] if image_shape[2] in (1, 3) else None
        options.update(image_size=image_shape[:2], channels=channels)
    if data_range is not None:
        options["limit"] = data_range[1]
    try:
        x, y = load_arrays(source, with_labels=labels, **options)
    except DataSourceError as err:
        if not labels or "has no labels" not in str(err):
            raise
        x, y = load_arrays(source, **options)
    if data_range is not None:
        start, stop, step = data_range
        if stop > len(x):
            raise DataSourceError(
                f"The range {start}:{stop} ends past the {len(x)} images of "
                f"{source!r}."
            )
        x = x[start:stop:step]
        y = None if y is None else y[start:stop:step]
    return x, y


def _decode(
    source, split, image_size, channels, batch_size, with_labels, seed,
    limit, data_dir,
):  # fmt: skip
    """Checks the arguments, opens the source and decodes it (cached)."""
    image_size = _check_args(
        split, image_size, channels, batch_size, limit, seed
    )
    ds, name = _open_source(
        source, split, image_size, channels, limit, data_dir
    )
    decoded = finish.decode_dataset(
        ds, name, with_labels, image_size, channels, limit
    )
    return decoded, name


@contextlib.contextmanager
def _reading(source, name):
    """Raises a `DataSourceError` for a TensorFlow error met while the
    data set of `source` (shown as `name`) is read: an image file that
    does not decode, say, which a folder names."""
    try:
        yield
    except tf.errors.OpError as err:
        if isinstance(source, str | os.PathLike) and Path(source).is_dir():
            raise folder.decode_failure(Path(source), err) from None
        raise DataSourceError(
            f"The source {name} could not be read ({op_error_reason(err)})."
        ) from None


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
        if source in shapes.SOURCES:
            x, y = shapes.shapes_split(
                split, image_size, channels, limit, source
            )
            return arrays.arrays_to_dataset(x, y), repr(source)
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
