"""Callbacks for training the zoo's models with `model.fit`.

All but `TensorBoardGrid` (TensorFlow summaries) run on every backend
without TensorFlow.
"""

import importlib

from keras_genimg.callbacks.atomic_checkpoint import AtomicCheckpoint
from keras_genimg.callbacks.divergence_guard import (
    DivergenceGuard,
    TrainingDivergedError,
)
from keras_genimg.callbacks.history_json import HistoryJSON
from keras_genimg.callbacks.image_grid import make_grid, save_image_grid
from keras_genimg.callbacks.mode_collapse import (
    ModeCollapseMonitor,
    ModeCollapseWarning,
    nearest_neighbour_distance,
)
from keras_genimg.callbacks.prior_fit import PriorFit
from keras_genimg.callbacks.sample_grid import SampleGrid
from keras_genimg.callbacks.sample_metric import SampleMetric
from keras_genimg.callbacks.stop_on_signal import StopOnSignal
from keras_genimg.callbacks.training_backup import (
    BackupFallbackWarning,
    TrainingBackup,
    find_backup,
    skip_shuffles,
)

__all__ = [
    "AtomicCheckpoint",
    "BackupFallbackWarning",
    "DivergenceGuard",
    "HistoryJSON",
    "ModeCollapseMonitor",
    "ModeCollapseWarning",
    "PriorFit",
    "SampleGrid",
    "SampleMetric",
    "StopOnSignal",
    "TensorBoardGrid",
    "TrainingBackup",
    "TrainingDivergedError",
    "find_backup",
    "make_grid",
    "nearest_neighbour_distance",
    "save_image_grid",
    "skip_shuffles",
]


def __getattr__(name):
    # Imported when first used: it needs TensorFlow, the others do not.
    if name == "TensorBoardGrid":
        module = importlib.import_module(
            "keras_genimg.callbacks.tensorboard_grid"
        )
        return module.TensorBoardGrid
    raise AttributeError(
        f"module 'keras_genimg.callbacks' has no attribute {name!r}"
    )
