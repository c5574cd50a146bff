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
    An existing file is continued: a run resumed at epoch `k` (by
    `TrainingBackup` or `keras.callbacks.BackupAndRestore`) keeps the
    first `k` epochs and replaces any later ones; a run started afresh
    replaces them all.

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
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.history = json.load(f)

    def on_epoch_end(self, epoch, logs=None):
        kept = sum(1 for e in self.history.get("epoch", []) if e <= epoch)
        self.history = {k: v[:kept] for k, v in self.history.items()}
        self.history.setdefault("epoch", []).append(epoch + 1)
        logs = logs or {}
        for key in logs.keys() - self.history.keys():
            self.history[key] = [None] * kept
        # A value not logged this epoch (validation every other epoch,
        # say) is None here, so that every list lines up with `epoch`.
        for key, values in self.history.items():
            if key != "epoch":
                values.append(float(logs[key]) if key in logs else None)
        write_json_atomic(self.path, self.history)


def write_json_atomic(path, data):
    """Writes `data` as JSON to `path` through a temporary file and rename."""
    with atomic_path(path) as tmp_path, open(tmp_path, "w") as f:
        json.dump(data, f, indent=1)
