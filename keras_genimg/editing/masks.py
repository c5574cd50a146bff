"""Masks of known pixels for inpainting: arrays or named presets.

A mask is 1 where a pixel is known and 0 where it is to be restored.
"""

import re

import numpy as np

PRESETS = ("center", "left-half", "bottom-half", "random:P", "box:X,Y,W,H")


def make_mask(spec, image_shape, num_images=1, seed=0):
    """A float32 mask `(num_images, H, W, C)`, 1 for known pixels.

    Args:
        spec: str or array. A preset: `"center"` (the centre square of
            half the image's side unknown, 14x14 on 28x28), `"left-half"`,
            `"bottom-half"`, `"random:P"` (each pixel unknown with
            probability P, e.g. `"random:0.5"`), `"box:X,Y,W,H"` (the
            rectangle of width W and height H at column X, row Y unknown);
            or an array, checked by `check_mask`.
        image_shape: tuple `(H, W, C)`.
        num_images: int. How many images the mask is for.
        seed: int. Seed of `"random:P"`.

    Returns:
        A float32 numpy array of 0s and 1s.

    Example:
    >>> mask = make_mask("center", (4, 4, 1))
    >>> mask[0, :, :, 0].astype(int).tolist()
    [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]]
    >>> make_mask("box:0,0,2,1", (2, 3, 1))[0, :, :, 0].tolist()
    [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    """
    if not isinstance(spec, str):
        return check_mask(spec, image_shape, num_images)
    height, width, channels = image_shape
    known = np.ones((num_images, height, width, 1), "float32")
    if spec == "center":
        top, left = height // 4, width // 4
        known[:, top : top + height // 2, left : left + width // 2] = 0.0
    elif spec == "left-half":
        known[:, :, : width // 2] = 0.0
    elif spec == "bottom-half":
        known[:, height // 2 :] = 0.0
    elif match := re.fullmatch(r"random:([0-9.]+)", spec):
        probability = float(match.group(1))
        if not 0.0 < probability < 1.0:
            raise ValueError(
                f"Mask {spec!r}: the probability must be in (0, 1)."
            )
        rng = np.random.default_rng(seed)
        drop = rng.random((num_images, height, width, 1)) < probability
        known[drop] = 0.0
    elif match := re.fullmatch(r"box:(\d+),(\d+),(\d+),(\d+)", spec):
        x, y, w, h = map(int, match.groups())
        if w < 1 or h < 1 or x + w > width or y + h > height:
            raise ValueError(
                f"Mask {spec!r} does not fit in images of {height}x{width}."
            )
        known[:, y : y + h, x : x + w] = 0.0
    else:
        raise ValueError(
            f"Unknown mask {spec!r}. Expected an array or one of: "
            f"{', '.join(PRESETS)}."
        )
    return check_mask(np.repeat(known, channels, axis=-1), image_shape)


def check_mask(mask, image_shape, num_images=None):
    """Returns `mask` as float32 `(batch, H, W, C)` of 0s and 1s, or raises.

    Masks of shape `(H, W)`, `(H, W, 1)`, `(H, W, C)`, `(batch, H, W)` or
    `(batch, H, W, 1)` are broadcast. A mask that knows every pixel, or
    none, leaves nothing to do, and is refused.

    Args:
        mask: array of 0s and 1s (or booleans), 1 for known pixels.
        image_shape: tuple `(H, W, C)` of the images.
        num_images: int or None. Broadcast to this many images.
    """
    mask = np.asarray(mask)
    height, width, channels = image_shape
    if mask.dtype == bool:
        mask = mask.astype("float32")
    if not np.issubdtype(mask.dtype, np.number):
        raise ValueError(
            f"A mask must be numeric. Received dtype {mask.dtype}."
        )
    if mask.ndim == 2 or (
        mask.ndim == 3 and mask.shape == (height, width, mask.shape[2])
        and mask.shape[2] in (1, channels)
    ):  # fmt: skip
        mask = mask[None]
    if mask.ndim == 3:
        mask = mask[..., None]
    if (
        mask.ndim != 4
        or mask.shape[1:3] != (height, width)
        or (mask.shape[3] not in (1, channels))
    ):
        raise ValueError(
            f"A mask must have the images' height and width, e.g. shape "
            f"({height}, {width}) or (batch, {height}, {width}, "
            f"{channels}). Received shape {mask.shape}."
        )
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError(
            "A mask holds 1 for known pixels and 0 for unknown ones; it "
            f"holds other values, e.g. {mask[(mask != 0) & (mask != 1)][0]}."
        )
    if mask.min() == 1:
        raise ValueError("The mask marks every pixel known: nothing to fill.")
    if mask.max() == 0:
        raise ValueError(
            "The mask marks every pixel unknown: nothing to start from "
            "(to draw new images, use `generate`)."
        )
    batch = mask.shape[0] if num_images is None else num_images
    if mask.shape[0] not in (1, batch):
        raise ValueError(
            f"A mask for {batch} images must have 1 or {batch} items. "
            f"Received {mask.shape[0]}."
        )
    return np.broadcast_to(mask, (batch, height, width, channels)).astype(
        "float32"
    )
