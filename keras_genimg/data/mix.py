"""Mix real and generated labelled images into one training set."""

import numpy as np

from keras_genimg.data.arrays import check_arrays
from keras_genimg.data.errors import DataSourceError


def mix(real, synthetic, ratio, seed=None):
    """All of `real` plus `ratio` generated images per real one, shuffled.

    For data augmentation with a conditional generator: train a downstream
    model on real images plus generated look-alikes of known classes
    (e.g. written by `genimg synthesize`). The synthetic images are drawn
    without replacement.

    Args:
        real: tuple `(x, y)`. Real images (uint8 in [0, 255] or float in
            [0, 1], as `load_images` accepts) and int labels.
        synthetic: tuple `(x, y)`. Generated images and labels, the same
            image shape.
        ratio: float >= 0. Synthetic images per real image: 0 gives the
            real images alone, 1 as many synthetic images as real ones.
        seed: int or None. Seed of the draw and the shuffle.

    Returns:
        `(x, y)`: float32 images in [0, 1] `(N, H, W, C)` and int32 labels
        `(N,)`, with `N = len(real) + round(ratio * len(real))`; a tuple
        `load_images` takes as a source.

    Raises:
        DataSourceError: bad arrays, different image shapes, or fewer
            synthetic images than asked for.

    Example:
    >>> real = (np.zeros((10, 8, 8, 1), "float32"), np.arange(10) % 2)
    >>> fake = (np.ones((30, 8, 8, 1), "float32"), np.arange(30) % 2)
    >>> x, y = mix(real, fake, ratio=2.0, seed=0)
    >>> x.shape, int(x.max(axis=(1, 2, 3)).sum()), y.dtype
    ((30, 8, 8, 1), 20, dtype('int32'))
    """
    real_x, real_y = _labelled(real, "real")
    fake_x, fake_y = _labelled(synthetic, "synthetic")
    if real_x.shape[1:] != fake_x.shape[1:]:
        raise DataSourceError(
            f"real images are {real_x.shape[1:]} but synthetic images are "
            f"{fake_x.shape[1:]}; they must have the same shape."
        )
    number = isinstance(ratio, int | float | np.integer | np.floating)
    if not number or isinstance(ratio, bool) or not ratio >= 0:
        raise DataSourceError(f"ratio must be a number >= 0, got {ratio!r}.")
    if not np.isfinite(ratio):
        raise DataSourceError(f"ratio must be finite, got {ratio!r}.")
    count = int(round(ratio * len(real_x)))
    if count > len(fake_x):
        raise DataSourceError(
            f"ratio {ratio} asks for {count} synthetic images but there are "
            f"only {len(fake_x)}."
        )
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(fake_x), size=count, replace=False)
    x = np.concatenate([real_x, fake_x[chosen]])
    y = np.concatenate([real_y, fake_y[chosen]])
    order = rng.permutation(len(x))
    return x[order], y[order]


def _labelled(pair, name):
    if not isinstance(pair, tuple) or len(pair) != 2 or pair[1] is None:
        raise DataSourceError(
            f"{name} must be a tuple (x, y) of images and labels, e.g. from "
            "load_arrays(..., with_labels=True)."
        )
    x, y = check_arrays(*pair, name=name)
    if x.dtype == np.uint8:
        x = x.astype("float32") / 255.0
    return x, y
