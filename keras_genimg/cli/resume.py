"""Resuming an interrupted `genimg train` where its last epoch ended."""

import os

from keras_genimg.callbacks.training_backup import TrainingBackup, find_backup

BACKUP_FOLDER = "backup"


def backup_callback(out):
    """`TrainingBackup` in `out/backup`: the weights, both optimizers'
    state and the model's random-generator state after every epoch, the
    two newest kept, restored when the same command runs again, deleted
    once training completes."""
    return TrainingBackup(os.path.join(out, BACKUP_FOLDER))


def completed_epochs(out):
    """Epochs the newest readable backup in `out` holds (0 without one)."""
    return find_backup(os.path.join(out, BACKUP_FOLDER))[0]


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
