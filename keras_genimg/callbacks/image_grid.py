"""Tile a batch of images into one picture and write it as a PNG."""

import math

import numpy as np

from keras_genimg.utils import atomic_path


def make_grid(images, num_columns=None, border=1, border_value=0.5):
    """Tiles images into one near-square grid with thin borders.

    Args:
        images: float array `(N, H, W, C)` in [0, 1], `C` 1 or 3.
        num_columns: int or None. Defaults to `ceil(sqrt(N))`.
        border: int. Pixels between and around the tiles.
        border_value: float. Gray level of the border, in [0, 1].

    Returns:
        A float32 array `(rows*H + (rows+1)*border,
        cols*W + (cols+1)*border, C)`; empty cells stay at `border_value`.

    Example:
    >>> make_grid(np.zeros((4, 28, 28, 1))).shape
    (59, 59, 1)
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "`images` must be a non-empty batch (N, H, W, C). "
            f"Received shape {images.shape}."
        )
    num, height, width, channels = images.shape
    cols = num_columns or math.ceil(math.sqrt(num))
    rows = math.ceil(num / cols)
    grid = np.full(
        (
            rows * height + (rows + 1) * border,
            cols * width + (cols + 1) * border,
            channels,
        ),
        border_value,
        dtype="float32",
    )
    for index, image in enumerate(np.clip(images, 0.0, 1.0)):
        row, col = divmod(index, cols)
        top = border + row * (height + border)
        left = border + col * (width + border)
        grid[top : top + height, left : left + width] = image
    return grid


def save_png(path, image):
    """Writes an `(H, W, C)` float image in [0, 1] as a PNG, atomically.

    Pixels are rounded to 8 bits; one channel gives a grayscale PNG, three
    an RGB one. The PNG is written to a temporary file beside `path` and
    renamed into place, so an interrupted run never leaves a truncated
    image.

    Args:
        path: str or path-like. Destination `.png` file.
        image: float array `(H, W)`, `(H, W, 1)` or `(H, W, 3)` in [0, 1].
    """
    from PIL import Image

    image = np.clip(np.asarray(image, dtype="float32"), 0.0, 1.0)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    pixels = np.round(image * 255.0).astype("uint8")
    with atomic_path(path) as tmp_path:
        Image.fromarray(pixels).save(tmp_path, format="PNG")


def save_image_grid(path, images, **grid_kwargs):
    """Tiles `images` with `make_grid` and writes the grid to `path`."""
    save_png(path, make_grid(images, **grid_kwargs))
