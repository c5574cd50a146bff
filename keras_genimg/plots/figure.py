"""Figures of a fixed pixel size, saved as PNG without pyplot."""

import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_genimg.utils import atomic_path

DPI = 100


def new_figure(width, height):
    """A matplotlib `Figure` that saves to exactly `width` x `height` px.

    The figure is not registered with pyplot, so plotting leaves no global
    state behind and needs no display.

    Args:
        width: int. Width in pixels.
        height: int. Height in pixels.

    Returns:
        A `matplotlib.figure.Figure`.

    Example:
    >>> figure = new_figure(400, 300)
    >>> [int(v) for v in figure.get_size_inches() * figure.dpi]
    [400, 300]
    """
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path):
    """Writes `figure` as a PNG at `path`, atomically; returns `path`.

    Args:
        figure: `matplotlib.figure.Figure`.
        path: str or path-like. Destination `.png`.

    Returns:
        str. The path written.
    """
    path = os.fspath(path)
    with atomic_path(path, suffix=".png") as tmp_path:
        figure.savefig(tmp_path, format="png", dpi=DPI)
    return path
