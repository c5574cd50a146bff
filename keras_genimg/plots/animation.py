"""An animated GIF of the sample grids saved while a model trained."""

import glob
import os
import re

import numpy as np

from keras_genimg.utils import atomic_path

EPOCH_PATTERN = re.compile(r"^epoch_(\d+)\.png$")
LABEL_HEIGHT = 14


def epoch_grids(run_dir):
    """The `samples/epoch_NNNN.png` grids of a run, in epoch order.

    Args:
        run_dir: str or path-like. A `genimg train` output folder (or its
            `samples` folder).

    Returns:
        A list of `(epoch, path)` pairs.
    """
    run_dir = os.fspath(run_dir)
    folder = os.path.join(run_dir, "samples")
    if not os.path.isdir(folder):
        folder = run_dir
    found = []
    for path in glob.glob(os.path.join(folder, "epoch_*.png")):
        match = EPOCH_PATTERN.match(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def animate_grids(run_dir, path, frame_ms=400, last_frame_ms=2000, label=True):
    """Writes the epoch grids of a run as one looping animated GIF.

    Args:
        run_dir: str or path-like. A `genimg train` output folder.
        path: str or path-like. The GIF to write.
        frame_ms: int. How long each epoch is shown. Defaults to 400.
        last_frame_ms: int. How long the last epoch is shown. Defaults to
            2000.
        label: bool. Write "epoch N" in a strip above each grid. Defaults
            to True.

    Returns:
        `(path, num_frames)`.

    Example:
    >>> # animate_grids("runs/dcgan", "runs/dcgan/samples.gif")
    """
    from PIL import Image, ImageDraw

    grids = epoch_grids(run_dir)
    if not grids:
        raise FileNotFoundError(
            "No epoch grids (samples/epoch_NNNN.png) in "
            f"{os.fspath(run_dir)!r}."
        )
    frames = []
    for epoch, grid_path in grids:
        with Image.open(grid_path) as grid:
            frame = grid.convert("RGB")
        if label:
            canvas = Image.new(
                "RGB", (frame.width, frame.height + LABEL_HEIGHT), "white"
            )
            canvas.paste(frame, (0, LABEL_HEIGHT))
            ImageDraw.Draw(canvas).text((2, 1), f"epoch {epoch}", fill="black")
            frame = canvas
        frames.append(frame)
    size = frames[-1].size
    frames = [f if f.size == size else f.resize(size) for f in frames]
    # One palette for all frames keeps the gray levels steady.
    palette = frames[-1].quantize(colors=256)
    frames = [f.quantize(palette=palette, dither=0) for f in frames]
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    with atomic_path(path, suffix=".gif") as tmp_path:
        frames[0].save(
            tmp_path,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=0,
        )
    return os.fspath(path), len(frames)


def read_gif_frames(path):
    """Frames of a GIF as uint8 RGB arrays (to check what was written)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        return [
            np.asarray(frame.convert("RGB"))
            for frame in ImageSequence.Iterator(gif)
        ]
