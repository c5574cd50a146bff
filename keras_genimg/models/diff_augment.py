"""Differentiable augmentation of a GAN's real and generated images.

DiffAugment (Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation
for Data-Efficient GAN Training", 2020) applies the same random,
differentiable transformations to the real and the generated images
that the discriminator sees, in its own update and in the generator's,
so the discriminator cannot memorize a small training set and the
generator still gets gradients through the transformations. Each image
gets its own random draw, from the model's seed generator.
"""

import keras
from keras import ops

TRANSFORMS = ("color", "translation", "cutout")
# The paper's strengths: shifts up to 1/8 of the image, a cutout square
# of half its side.
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def parse_policy(policy, channels):
    """The transforms of a policy, checked.

    Args:
        policy: None or False (no augmentation), True (the paper's
            choice: `color` for colour images, then `translation` and
            `cutout`), or a comma-separated string of `TRANSFORMS`.
        channels: int. Channels of the images.

    Returns:
        The policy as a comma-separated string, or None.

    Example:
    >>> parse_policy(True, channels=1), parse_policy(True, channels=3)
    ('translation,cutout', 'color,translation,cutout')
    >>> parse_policy("cutout", channels=1)
    'cutout'
    """
    if policy is None or policy is False or policy == "":
        return None
    if policy is True:
        return ",".join(TRANSFORMS if channels == 3 else TRANSFORMS[1:])
    names = [name.strip() for name in str(policy).split(",")]
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown or not names:
        raise ValueError(
            f"A DiffAugment policy lists transforms among "
            f"{', '.join(TRANSFORMS)}. Received: {policy!r}"
        )
    return ",".join(names)


def diff_augment(images, policy, seed_generator):
    """Augments a batch of images with the transforms of `policy`.

    Every operation is differentiable with respect to `images` and keeps
    their shape and dtype; pixels stay in [-1, 1] for `translation` and
    `cutout` (emptied pixels become 0, the middle of the range), while
    `color` may leave it, as in the paper.

    Args:
        images: float tensor `(batch, H, W, C)` in [-1, 1].
        policy: str. Comma-separated `TRANSFORMS`, from `parse_policy`.
        seed_generator: `keras.random.SeedGenerator` of the draws.

    Returns:
        The augmented images.

    Example:
    >>> import numpy as np
    >>> images = np.ones((4, 16, 16, 1), "float32")
    >>> seed = keras.random.SeedGenerator(0)
    >>> out = diff_augment(images, "translation,cutout", seed)
    >>> tuple(out.shape), float(ops.min(out)) >= 0.0, float(ops.max(out)) <= 1.0
    ((4, 16, 16, 1), True, True)
    >>> float(ops.mean(out)) < 1.0  # some pixels cut out or shifted in
    True
    """
    images = ops.convert_to_tensor(images)
    for name in policy.split(","):
        images = _TRANSFORM_FUNCTIONS[name](images, seed_generator)
    return images


def _uniform(images, seed_generator):
    batch = ops.shape(images)[0]
    return keras.random.uniform(
        (batch, 1, 1, 1), dtype=images.dtype, seed=seed_generator
    )


def _color(images, seed_generator):
    images = images + (_uniform(images, seed_generator) - 0.5)
    mean = ops.mean(images, axis=-1, keepdims=True)
    images = (images - mean) * (_uniform(images, seed_generator) * 2.0) + mean
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * (_uniform(images, seed_generator) + 0.5) + mean


def _random_ints(images, low, high, seed_generator):
    """One int per image in `[low, high)`, shaped `(batch, 1, 1)`."""
    batch = ops.shape(images)[0]
    return keras.random.randint(
        (batch, 1, 1), low, high, dtype="int32", seed=seed_generator
    )


def _shift_matrices(size, shift, dtype):
    """`(batch, size, size)` 0/1 matrices `m[b, i, j] = (j == i - shift[b])`."""
    index = ops.arange(size, dtype="int32")
    return ops.cast(
        ops.equal(index[None, None, :], index[None, :, None] - shift), dtype
    )


def _translation(images, seed_generator):
    height, width = images.shape[1], images.shape[2]
    max_dy = int(height * TRANSLATION_RATIO + 0.5)
    max_dx = int(width * TRANSLATION_RATIO + 0.5)
    dy = _random_ints(images, -max_dy, max_dy + 1, seed_generator)
    dx = _random_ints(images, -max_dx, max_dx + 1, seed_generator)
    # Shifting by a product with 0/1 matrices keeps the gradient w.r.t.
    # the images exact on every backend; pixels shifted in are 0.
    rows = _shift_matrices(height, dy, images.dtype)
    columns = _shift_matrices(width, dx, images.dtype)
    images = ops.einsum("bij,bjwc->biwc", rows, images)
    return ops.einsum("bkw,biwc->bikc", columns, images)


def _cutout(images, seed_generator):
    height, width = images.shape[1], images.shape[2]
    size_h = int(height * CUTOUT_RATIO + 0.5)
    size_w = int(width * CUTOUT_RATIO + 0.5)
    top = _random_ints(images, 0, height + 1 - size_h % 2, seed_generator)
    left = _random_ints(images, 0, width + 1 - size_w % 2, seed_generator)
    top, left = top - size_h // 2, left - size_w // 2
    rows = ops.arange(height, dtype="int32")[None, :, None]
    columns = ops.arange(width, dtype="int32")[None, None, :]
    inside = ops.logical_and(
        ops.logical_and(rows >= top, rows < top + size_h),
        ops.logical_and(columns >= left, columns < left + size_w),
    )
    keep = ops.cast(ops.logical_not(inside), images.dtype)
    return images * keep[..., None]


_TRANSFORM_FUNCTIONS = {
    "color": _color,
    "translation": _translation,
    "cutout": _cutout,
}
