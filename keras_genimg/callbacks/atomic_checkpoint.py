"""Callback that saves the whole model after every epoch, atomically."""

import os

import keras


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the model to a `.keras` file after every epoch.

    The model is saved to a temporary `.keras` file beside `path` and then
    renamed over it, so a run killed while saving keeps the previous
    complete file instead of a truncated one.

    Args:
        path: str or path-like ending in `.keras`.

    Example:
    >>> checkpoint = AtomicCheckpoint("runs/vae/model.keras")
    >>> # model.fit(data, epochs=10, callbacks=[checkpoint])
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        if not self.path.endswith(".keras"):
            raise ValueError(
                f"`path` must end in '.keras'. Received: {self.path!r}"
            )

    def on_epoch_end(self, epoch, logs=None):
        save_model_atomic(self.model, self.path)


def save_model_atomic(model, path):
    """Saves `model` to `path` (`.keras`) through a temporary file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp_path = os.path.join(directory, f".tmp-{os.getpid()}-model.keras")
    try:
        model.save(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
