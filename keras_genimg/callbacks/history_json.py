"""Callback that keeps the per-epoch logs in a JSON file."""

import json
import os

import keras

from keras_genimg.utils import atomic_path


class HistoryJSON(keras.callbacks.Callback):
    """Writes the per-epoch logs to a JSON file after every epoch.

    The file maps each log key to its list of per-epoch values, as
    `History.history` does, plus `"epoch"` (1-based). It is rewritten
    atomically (temporary file, then rename) after every epoch, so a run
    killed mid-training leaves a complete file of the epochs it finished.

    Args:
        path: str or path-like. The JSON file to write.

    Example:
    >>> callback = HistoryJSON("runs/vae/history.json")
    >>> # model.fit(data, epochs=10, callbacks=[callback])
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        self.history = {}

    def on_train_begin(self, logs=None):
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.history.setdefault("epoch", []).append(epoch + 1)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        write_json_atomic(self.path, self.history)


def write_json_atomic(path, data):
    """Writes `data` as JSON to `path` through a temporary file and rename."""
    with atomic_path(path) as tmp_path, open(tmp_path, "w") as f:
        json.dump(data, f, indent=1)
