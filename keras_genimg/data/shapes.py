"""Built-in data sets of procedurally drawn shapes, in the spirit of dSprites.

Each image holds one filled shape (see `SHAPE_CLASSES`), anti-aliased by
supersampling. In the `"shapes"` source it has a random position, scale
and rotation; in `"simple-shapes"` it is centred, upright and of one size
(ellipses still vary in aspect), which a GAN learns in a few minutes.
Grayscale images are white on black; RGB images use a random bright
colour per image on black. Everything is drawn with numpy, so nothing is
downloaded.
"""

import numpy as np

from keras_genimg.data.errors import DataSourceError

SHAPE_CLASSES = ("square", "ellipse", "triangle", "cross", "heart")
"""Class names, indexed by label."""

SPLIT_SIZES = {"train": 10_000, "test": 2_000}
"""Number of images in each split of the `"shapes"` source."""

POSES = ("random", "centred")
"""How `render_shapes` places a shape: random position, scale and
rotation, or centred, upright and of one size."""

SOURCES = {"shapes": "random", "simple-shapes": "centred"}
"""The built-in sources of drawn shapes, and the pose of their shapes."""

SPLIT_SEEDS = {"train": 0, "test": 1}
"""The `render_shapes` seed behind each split of the `"shapes"` source."""

DEFAULT_IMAGE_SIZE = 32

_CHUNK = 1024  # Images drawn per random stream; keeps prefixes stable.
_SUPERSAMPLE = 3  # Samples per pixel side for anti-aliasing.
_SCALE_RANGE = (0.35, 0.85)  # Shape radius as a fraction of half the side.
_CENTRED_SCALE = 0.8  # The radius of a centred shape, likewise.
_HEART_RADIUS = 1.337  # Heart curve fitted into the unit disk ...
_HEART_CENTRE = 0.118  # ... around the middle of its bounding box.


def render_shapes(
    num_images, image_size=DEFAULT_IMAGE_SIZE, channels=1, seed=0, pose="random"
):
    """Draw `num_images` images of random shapes.

    Every shape fits inside a disk whose radius is drawn from 35% to 85%
    of half the (shorter) image side, wholly inside the image. The output
    is deterministic for a seed, and the first `k` images of a call are
    the images of the same call with `num_images=k`. With
    `pose="centred"`, every shape is centred, upright and of radius 80%
    of half the side; the labels, aspects and colours are those of the
    same seed with `pose="random"`.

    Args:
        num_images: int. How many images to draw.
        image_size: int or tuple `(height, width)`. Size of the images.
            Defaults to 32.
        channels: int. 1 for white shapes on black, 3 for shapes of a
            random colour per image on black. Defaults to 1.
        seed: int. Non-negative seed of the random stream. Defaults to 0.
        pose: str. One of `POSES`: `"random"` (the default) or
            `"centred"`.

    Returns:
        `(images, labels)`: float32 images in [0, 1] shaped
        `(num_images, height, width, channels)` and int32 labels indexing
        `SHAPE_CLASSES`.

    Example:

    ```python
    images, labels = render_shapes(16, image_size=32, channels=3, seed=7)
    images.shape  # (16, 32, 32, 3)
    SHAPE_CLASSES[labels[0]]
    ```
    """
    height, width = _check_size(image_size)
    if (
        isinstance(num_images, bool)
        or not isinstance(num_images, (int, np.integer))
        or num_images < 1
    ):
        raise DataSourceError(
            f"num_images must be a positive int, got {num_images!r}."
        )
    if channels not in (1, 3):
        raise DataSourceError(f"channels must be 1 or 3, got {channels!r}.")
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or seed < 0
    ):
        raise DataSourceError(f"seed must be a non-negative int, got {seed!r}.")
    if pose not in POSES:
        raise DataSourceError(
            f"pose must be one of {', '.join(map(repr, POSES))}, got {pose!r}."
        )
    images = np.empty((num_images, height, width, channels), np.float32)
    labels = np.empty((num_images,), np.int32)
    for start in range(0, num_images, _CHUNK):
        stop = min(start + _CHUNK, num_images)
        rng = np.random.default_rng([int(seed), start // _CHUNK])
        params = _draw_params(rng, height, width, pose)
        params = {key: value[: stop - start] for key, value in params.items()}
        cover = _coverage(params, height, width)
        if channels == 1:
            images[start:stop, ..., 0] = cover
        else:
            colour = params["colour"][:, np.newaxis, np.newaxis, :]
            images[start:stop] = cover[..., np.newaxis] * colour
        labels[start:stop] = params["label"]
    return images, labels


def shapes_split(
    split, image_size=None, channels=None, limit=None, source="shapes"
):
    """The images of one split of a built-in source of shapes.

    Args:
        split: str. `"train"` (10,000 images) or `"test"` (2,000 images).
        image_size: int, tuple `(height, width)` or None. Size to draw at.
            Defaults to None, meaning 32.
        channels: int or None. 1 or 3. Defaults to None, meaning 1.
        limit: int or None. Draw only the first `limit` images.
        source: str. A key of `SOURCES`: `"shapes"` (the default) or
            `"simple-shapes"`.

    Returns:
        `(images, labels)` as from `render_shapes`.

    Example:

    ```python
    x, y = shapes_split("test", limit=100)
    ```
    """
    if split not in SPLIT_SIZES:
        raise DataSourceError(
            f"Unknown split {split!r} for the {source!r} source. Expected one "
            f"of: {', '.join(repr(s) for s in SPLIT_SIZES)}."
        )
    count = SPLIT_SIZES[split]
    if limit is not None:
        count = min(count, limit)
    return render_shapes(
        count,
        image_size=DEFAULT_IMAGE_SIZE if image_size is None else image_size,
        channels=1 if channels is None else channels,
        seed=SPLIT_SEEDS[split],
        pose=SOURCES[source],
    )


def _check_size(image_size):
    size = image_size
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool)
            for s in size
        )
        or min(size) < 1
    ):
        raise DataSourceError(
            "image_size must be a positive int or a (height, width) pair "
            f"of positive ints, got {image_size!r}."
        )
    return int(size[0]), int(size[1])


def _draw_params(rng, height, width, pose):
    """Random parameters for a full chunk, always drawn in the same order."""
    n = _CHUNK
    label = rng.integers(0, len(SHAPE_CLASSES), n).astype(np.int32)
    radius = rng.uniform(*_SCALE_RANGE, n) * min(height, width) / 2
    cx = radius + rng.uniform(0, 1, n) * (width - 2 * radius)
    cy = radius + rng.uniform(0, 1, n) * (height - 2 * radius)
    angle = rng.uniform(0, 2 * np.pi, n)
    aspect = rng.uniform(0.5, 1.0, n)
    colour = rng.uniform(0, 1, (n, 3))
    colour /= colour.max(axis=1, keepdims=True)
    if pose == "centred":
        radius = np.full(n, _CENTRED_SCALE * min(height, width) / 2)
        cx, cy = np.full(n, width / 2), np.full(n, height / 2)
        angle = np.zeros(n)
    return {
        "label": label,
        "radius": radius.astype(np.float32),
        "cx": cx.astype(np.float32),
        "cy": cy.astype(np.float32),
        "cos": np.cos(angle).astype(np.float32),
        "sin": np.sin(angle).astype(np.float32),
        "aspect": aspect.astype(np.float32),
        "colour": colour.astype(np.float32),
    }


def _coverage(params, height, width):
    """Fraction of each pixel covered by its shape, shaped (N, H, W)."""
    s = _SUPERSAMPLE
    ys = ((np.arange(height * s) + 0.5) / s).astype(np.float32)
    xs = ((np.arange(width * s) + 0.5) / s).astype(np.float32)
    out = np.zeros((len(params["label"]), height, width), np.float32)
    for label, inside in enumerate(_INSIDE):
        idx = np.flatnonzero(params["label"] == label)
        if idx.size == 0:
            continue
        p = {
            key: value[idx, np.newaxis, np.newaxis]
            for key, value in params.items()
            if key != "colour"
        }
        dx = (xs[np.newaxis, np.newaxis, :] - p["cx"]) / p["radius"]
        dy = (ys[np.newaxis, :, np.newaxis] - p["cy"]) / p["radius"]
        u = p["cos"] * dx + p["sin"] * dy
        v = p["cos"] * dy - p["sin"] * dx
        mask = (
            inside(u, v, p["aspect"])
            .view(np.uint8)
            .reshape(idx.size, height, s, width, s)
        )
        hits = np.zeros((idx.size, height, width), np.uint8)
        for i in range(s):
            for j in range(s):
                hits += mask[:, :, i, :, j]
        out[idx] = hits / np.float32(s * s)
    return out


# Membership tests in the shape's own frame: (u, v) in units of the radius,
# v pointing down as in images. Every shape lies inside the unit disk.


def _square(u, v, aspect):
    return np.maximum(np.abs(u), np.abs(v)) <= 0.7


def _ellipse(u, v, aspect):
    return u * u + (v / aspect) ** 2 <= 0.95**2


def _triangle(u, v, aspect):
    # Equilateral, circumradius 1, apex up: three edges at distance 0.5.
    half = np.float32(np.sqrt(3) / 2)
    return (
        (v <= 0.5) & (half * u - 0.5 * v <= 0.5) & (-half * u - 0.5 * v <= 0.5)
    )


def _cross(u, v, aspect):
    a, b = np.abs(u), np.abs(v)
    return ((a <= 0.95) & (b <= 0.3)) | ((a <= 0.3) & (b <= 0.95))


def _heart(u, v, aspect):
    x = _HEART_RADIUS * u
    y = _HEART_CENTRE - _HEART_RADIUS * v
    x2, y2 = x * x, y * y
    r = x2 + y2 - 1
    return r * r * r <= x2 * y2 * y


_INSIDE = (_square, _ellipse, _triangle, _cross, _heart)
