"""Callback that saves the whole model after every epoch, atomically."""

import os

import keras

from keras_genimg.utils import atomic_path


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
    with atomic_path(path, suffix=".keras") as tmp_path:
        model.save(tmp_path)
