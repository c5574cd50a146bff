"""Resuming an interrupted `genimg train` where its last epoch ended."""

import json
import os

import keras

BACKUP_FOLDER = "backup"


def backup_callback(out):
    """`BackupAndRestore` in `out/backup`, keeping the previous copy too.

    It saves the weights, both optimizers' state and the model's random
    generator state after every epoch, restores them when the same
    command runs again, and deletes the backup once training completes.
    The previous copy stands in if a kill corrupts the latest one.
    """
    return keras.callbacks.BackupAndRestore(
        os.path.join(out, BACKUP_FOLDER), double_checkpoint=True
    )


def completed_epochs(out):
    """Epochs a backup in `out` holds (0 when there is none)."""
    for name in ("training_metadata.json", "training_metadata.json.bkp"):
        path = os.path.join(out, BACKUP_FOLDER, name)
        try:
            with open(path) as f:
                return int(json.load(f)["epoch"])
        except (OSError, ValueError, KeyError):
            continue
    return 0


# `fit` makes two iterators of a `tf.data.Dataset` per epoch (Keras 3.10 to
# 3.15); tests/test_resume.py fails if that changes.
ITERATORS_PER_EPOCH = 2


def skip_shuffles(dataset, epochs):
    """Advances a reshuffling dataset's order by `epochs` epochs of `fit`.

    A seeded `shuffle(..., reshuffle_each_iteration=True)` draws a new order
    each time an iterator is made. Making (and dropping) the iterators the
    finished epochs made puts a resumed run on the order the uninterrupted
    run would have used next.
    """
    for _ in range(epochs * ITERATORS_PER_EPOCH):
        iter(dataset)
