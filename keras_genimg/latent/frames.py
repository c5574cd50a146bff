"""Write latent paths as a PNG strip and as an animated GIF."""

import math

import numpy as np

from keras_genimg.callbacks.image_grid import make_grid, save_image_grid
from keras_genimg.utils import atomic_path


def save_strip(path, rows):
    """Writes paths as one PNG, one path per row.

    Args:
        path: str or path-like. The `.png` to write.
        rows: float array `(num_rows, steps, H, W, C)` in [0, 1].
    """
    rows = _check_rows(rows)
    save_image_grid(
        path, rows.reshape((-1,) + rows.shape[2:]), num_columns=rows.shape[1]
    )


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
