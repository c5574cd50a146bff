"""Write latent paths as a PNG strip and as an animated GIF."""

import math

import numpy as np

from keras_genimg.callbacks.image_grid import make_grid, save_png
from keras_genimg.utils import atomic_path


def save_strip(path, rows, row_labels=None):
    """Writes paths as one PNG, one path per row.

    Args:
        path: str or path-like. The `.png` to write.
        rows: float array `(num_rows, steps, H, W, C)` in [0, 1].
        row_labels: list of str or None. A label per row, written in a
            margin on the left (e.g. the latent dimension a row moves).

    Example:
    >>> import os, tempfile
    >>> rows = np.random.default_rng(0).random((2, 5, 8, 8, 1))
    >>> save_strip(os.path.join(tempfile.mkdtemp(), "strip.png"), rows,
    ...            row_labels=["dim 0", "dim 1"])
    """
    rows = _check_rows(rows)
    grid = make_grid(
        rows.reshape((-1,) + rows.shape[2:]), num_columns=rows.shape[1]
    )
    if row_labels is not None:
        if len(row_labels) != len(rows):
            raise ValueError(
                f"Need one label per row: {len(rows)} rows, "
                f"{len(row_labels)} labels."
            )
        grid = _label_rows(grid, row_labels, rows.shape[2])
    save_png(path, grid)


def _label_rows(grid, labels, height, border=1):
    """`grid` with a white margin on the left holding each row's label."""
    from PIL import Image, ImageDraw

    font_height = 11  # Pillow's default bitmap font
    width = 6 * max(map(len, labels)) + 4
    margin = Image.new("L", (width, grid.shape[0]), 255)
    draw = ImageDraw.Draw(margin)
    for row, label in enumerate(labels):
        top = border + row * (height + border) + (height - font_height) // 2
        draw.text((2, max(top, 0)), label, fill=0)
    margin = np.asarray(margin, "float32")[..., None] / 255.0
    margin = np.repeat(margin, grid.shape[-1], axis=-1)
    return np.concatenate([margin, grid], axis=1)


def save_gif(path, rows, frame_ms=120, boomerang=True):
    """Writes paths as a looping animated GIF: frame `k` shows step `k`.

    Each frame tiles the `k`-th image of every row in a near-square grid.

    Args:
        path: str or path-like. The `.gif` to write.
        rows: float array `(num_rows, steps, H, W, C)` in [0, 1].
        frame_ms: int. How long each frame is shown. Defaults to 120.
        boomerang: bool. Play the path forwards then backwards, so the
            loop has no jump. Defaults to True.

    Returns:
        The number of frames written.

    Example:
    >>> import os, tempfile
    >>> rows = np.random.default_rng(0).random((2, 5, 8, 8, 1))
    >>> save_gif(os.path.join(tempfile.mkdtemp(), "path.gif"), rows)
    8
    """
    from PIL import Image

    rows = _check_rows(rows)
    columns = math.ceil(math.sqrt(len(rows)))
    order = list(range(rows.shape[1]))
    if boomerang and len(order) > 2:
        order += order[-2:0:-1]
    frames = []
    for step in order:
        grid = make_grid(rows[:, step], num_columns=columns)
        pixels = np.round(np.clip(grid, 0.0, 1.0) * 255).astype("uint8")
        frames.append(
            Image.fromarray(pixels[..., 0] if grid.shape[-1] == 1 else pixels)
        )
    with atomic_path(path) as tmp_path:
        frames[0].save(
            tmp_path,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=int(frame_ms),
            loop=0,
        )
    return len(frames)


def _check_rows(rows):
    rows = np.asarray(rows, "float32")
    if rows.ndim != 5 or 0 in rows.shape[:2]:
        raise ValueError(
            "Expected paths shaped (num_rows, steps, H, W, C). Received "
            f"shape {rows.shape}."
        )
    return rows
