"""The tail every source shares: scale, convert, cache, shuffle, batch.

Sources hand over an unbatched `tf.data.Dataset` of `(image, label)`,
images uint8 in [0, 255] or float32 in [0, 1] shaped (H, W, C), labels
int32 scalars or None.
"""

import tensorflow as tf

from keras_genimg.data.errors import DataSourceError

MAX_SHUFFLE_BUFFER = 10_000
PREFETCH_BATCHES = 2


def has_labels(ds):
    """Whether a source dataset of `(image, label)` carries labels.

    Args:
        ds: tf.data.Dataset. A source dataset of `(image, label)`.

    Returns:
        bool. False when `label` is None.

    Example:

    ```python
    has_labels(tf.data.Dataset.from_tensor_slices((x, y)))  # True
    ```
    """
    return isinstance(ds.element_spec[1], tf.TensorSpec)


def decode_dataset(
    ds, name, with_labels=False, image_size=None, channels=None, limit=None
):
    """The first `limit` examples, each image converted once, cached.

    The cache is filled by the first iterator that reads to the end and is
    shared by every iterator of this dataset and of the datasets made from
    it, so the images are decoded once however often they are read.

    Args:
        ds: tf.data.Dataset. Unbatched `(image, label)` pairs.
        name: str. How to name the source in error messages.
        with_labels: bool. Yield `(image, label)` instead of images.
        image_size: tuple `(height, width)` or None. Resize to this size.
        channels: int or None. 1 or 3 to convert to grayscale or RGB.
        limit: int or None. Keep only the first `limit` examples.

    Returns:
        An unbatched `tf.data.Dataset` of float32 images (and labels).

    Example:

    ```python
    images = decode_dataset(source_ds, "x", image_size=(28, 28))
    ```
    """
    if with_labels and not has_labels(ds):
        raise DataSourceError(
            f"with_labels=True, but the source {name} has no labels."
        )
    spec = ds.element_spec[0]
    if image_size is None and not spec.shape[:2].is_fully_defined():
        raise DataSourceError(
            f"The images of the source {name} differ in size; pass "
            "image_size to resize them to one size."
        )
    if limit is not None:
        ds = ds.take(limit)

    def convert(image, label):
        image = to_float(image)
        image = convert_channels(image, channels)
        if image_size is not None:
            image = resize(image, image_size)
        return (image, label) if with_labels else image

    return ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE).cache()


def batch_dataset(decoded, batch_size=64, shuffle=True, seed=None):
    """Shuffles (differently each epoch), batches and prefetches.

    Args:
        decoded: tf.data.Dataset. From `decode_dataset`.
        batch_size: int. Images per batch; the last may be smaller.
        shuffle: bool. Shuffle, in a new order for every iterator.
        seed: int or None. Shuffle seed.

    Returns:
        A batched `tf.data.Dataset` with tf.data's autotuner off.

    Example:

    ```python
    ds = batch_dataset(decode_dataset(source_ds, "x"), 32, seed=0)
    ```
    """
    if shuffle:
        decoded = decoded.shuffle(
            _buffer_size(decoded), seed=seed, reshuffle_each_iteration=True
        )
    ds = decoded.batch(batch_size, drop_remainder=False)
    return ds.prefetch(PREFETCH_BATCHES).with_options(_options())


def _options():
    # The map runs once, before the cache, so after the first epoch the
    # autotuner has nothing to tune; and while it runs, destroying an
    # iterator that was not read to its end (Keras `fit` with
    # `steps_per_epoch` on a repeated dataset does so every epoch) waits
    # for the autotuner's next tick, up to 5 seconds.
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def to_float(image):
    """uint8 [0, 255] or float [0, 1] to float32 [0, 1].

    Args:
        image: tensor. A uint8 or floating image.

    Returns:
        A float32 tensor in [0, 1].

    Example:

    ```python
    to_float(tf.constant([[[255]]], tf.uint8))  # [[[1.0]]]
    ```
    """
    if image.dtype == tf.uint8:
        return tf.cast(image, tf.float32) / 255.0
    return tf.cast(image, tf.float32)


def convert_channels(image, channels):
    """Convert a float image to `channels` channels.

    Args:
        image: tensor. Float image shaped (H, W, C), C in {1, 2, 3, 4};
            2 and 4 mean an alpha channel, which is dropped on conversion.
        channels: int or None. 1 (grayscale), 3 (RGB) or None (keep).

    Returns:
        The converted image.

    Example:

    ```python
    convert_channels(tf.zeros((8, 8, 1)), 3).shape  # (8, 8, 3)
    ```
    """
    have = image.shape[-1]
    if channels is None or have == channels:
        return image
    if have in (2, 4):
        image = image[..., : have - 1]
        have -= 1
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image)
    return tf.image.grayscale_to_rgb(image)


def resize(image, image_size):
    """Resize a float image, antialiased, clipped to [0, 1].

    Args:
        image: tensor. Float image in [0, 1] shaped (H, W, C).
        image_size: tuple `(height, width)`.

    Returns:
        The resized image, unchanged when already of that size.

    Example:

    ```python
    resize(tf.zeros((28, 28, 1)), (32, 32)).shape  # (32, 32, 1)
    ```
    """
    if tuple(image.shape[:2]) == tuple(image_size):
        return image
    image = tf.image.resize(
        image, image_size, method="bilinear", antialias=True
    )
    return tf.clip_by_value(image, 0.0, 1.0)


def _buffer_size(ds):
    count = int(ds.cardinality())
    if count < 1:
        return MAX_SHUFFLE_BUFFER
    return min(count, MAX_SHUFFLE_BUFFER)
