"""Loss and metric curves from a run's `history.json`."""

import json
import math
import os

import numpy as np

from keras_genimg.plots.figure import new_figure, save_figure

PANEL_WIDTH = 400
PANEL_HEIGHT = 300
MAX_COLUMNS = 3


def read_history(path):
    """Reads a `history.json` written by `HistoryJSON` (or `genimg train`).

    Args:
        path: str or path-like. The JSON file, or a run folder holding it.

    Returns:
        A dict of log key to list of per-epoch values, with `"epoch"`.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "history.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No history file at {path!r}.")
    with open(path) as f:
        history = json.load(f)
    if not isinstance(history, dict) or not history:
        raise ValueError(f"{path!r} holds no per-epoch logs.")
    return history


def history_panels(history):
    """Groups log keys into panels: `loss` with `val_loss`, and so on.

    Args:
        history: dict of log key to per-epoch values.

    Returns:
        A list of lists of keys, one list per panel, in log order.

    Example:
    >>> history_panels({"epoch": [1], "loss": [1], "val_loss": [1],
    ...                 "val_fid": [3]})
    [['loss', 'val_loss'], ['val_fid']]
    """
    panels = []
    for key in history:
        if key == "epoch":
            continue
        base = key[len("val_") :] if key.startswith("val_") else key
        if base != key and base in history:
            continue  # drawn in its base key's panel
        panel = [key]
        if base == key and f"val_{key}" in history:
            panel.append(f"val_{key}")
        panels.append(panel)
    return panels


def plot_history(history, path):
    """Plots every logged metric against the epoch, one panel per metric.

    A metric and its `val_` counterpart share a panel. Each panel is
    400x300 pixels, up to three per row. Epochs without a value (NaN, as
    `SampleMetric` logs between measurements) are left out.

    Args:
        history: dict of log key to per-epoch values (with an optional
            `"epoch"` list), or the path of a `history.json` or run folder.
        path: str or path-like. The PNG to write.

    Returns:
        str. The path written.

    Example:
    >>> import tempfile
    >>> history = {"epoch": [1, 2], "loss": [2.0, 1.0]}
    >>> out = plot_history(history, tempfile.mkdtemp() + "/history.png")
    """
    if not isinstance(history, dict):
        history = read_history(history)
    panels = history_panels(history)
    if not panels:
        raise ValueError("The history has no metrics to plot.")
    columns = min(MAX_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = new_figure(columns * PANEL_WIDTH, rows * PANEL_HEIGHT)
    for index, keys in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key in keys:
            values = np.asarray(history[key], dtype="float64")
            epochs = np.asarray(
                history.get("epoch", range(1, len(values) + 1))
            )[: len(values)]
            keep = np.isfinite(values)
            axes.plot(
                epochs[keep], values[keep], marker="o", markersize=3, label=key
            )
        axes.set_title(keys[0].removeprefix("val_"))
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if len(keys) > 1:
            axes.legend()
    figure.tight_layout()
    return save_figure(figure, path)
