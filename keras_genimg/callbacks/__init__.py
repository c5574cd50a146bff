"""Callbacks for training the zoo's models with `model.fit`."""

from keras_genimg.callbacks.atomic_checkpoint import AtomicCheckpoint
from keras_genimg.callbacks.history_json import HistoryJSON
from keras_genimg.callbacks.image_grid import make_grid, save_image_grid
from keras_genimg.callbacks.sample_grid import SampleGrid

__all__ = [
    "AtomicCheckpoint",
    "HistoryJSON",
    "SampleGrid",
    "make_grid",
    "save_image_grid",
]
