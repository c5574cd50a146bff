"""Callback that keeps the per-epoch logs in a JSON file."""

import json
import os
import tempfile

import keras


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
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise
