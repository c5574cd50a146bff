"""Callback that backs up the training state after every epoch, so that a
killed run resumes, even one killed while the backup is written."""

import contextlib
import json
import os
import re
import shutil
import warnings

import h5py
import keras

from keras_genimg.utils import atomic_path

_BACKUP_NAME = re.compile(r"^epoch_(\d+)\.weights\.h5$")
# What `keras.callbacks.BackupAndRestore` writes (runs begun before
# `TrainingBackup` resume from it): weights file, metadata file.
_KERAS_BACKUPS = (
    ("latest.weights.h5", "training_metadata.json"),
    ("latest.weights.h5.bkp", "training_metadata.json.bkp"),
)


class BackupFallbackWarning(UserWarning):
    """The newest backup could not be read; an older one was used."""


class TrainingBackup(keras.callbacks.Callback):
    """Backs up the training state after every epoch; `fit` resumes from it.

    Like `keras.callbacks.BackupAndRestore` (weights, optimizer state, the
    model's random-generator state; the epoch it ended), but written so
    that no kill can leave a run that cannot resume: each epoch's backup
    goes to a temporary file renamed to `epoch_NNNN.weights.h5` when
    complete, and the `keep` newest backups stay. When `fit` starts, it
    loads the newest backup that reads whole; if a newer one does not
    (truncated or emptied by a full disk, say), it warns in one line and
    uses the one before. The folder is deleted once `fit` completes.

    Args:
        folder: str or path-like. Where the backups go.
        keep: int. How many backups to keep. Defaults to 2.

    Example:
    >>> backup = TrainingBackup("runs/vae/backup")
    >>> # model.fit(data, epochs=10, callbacks=[backup])  # killed at 4
    >>> # model.fit(data, epochs=10, callbacks=[backup])  # goes on at 5
    """

    def __init__(self, folder, keep=2):
        super().__init__()
        if keep < 1:
            raise ValueError(f"`keep` must be at least 1. Received: {keep}")
        self.folder = os.fspath(folder)
        self.keep = keep
        self._found = None

    def completed_epochs(self):
        """The epochs of the backup the next `fit` resumes from.

        Found (every array read) once: that `fit` then loads it without
        reading it again.

        Returns:
            int. 0 when there is no readable backup.
        """
        if self._found is None:
            self._found = find_backup(self.folder)
        return self._found[0]

    def on_train_begin(self, logs=None):
        self.completed_epochs()
        (epoch, path, unreadable), self._found = self._found, None
        for bad, reason in unreadable:
            warnings.warn(
                f"the backup {bad} cannot be read ({reason}); "
                + (f"resuming from {path}" if path else "starting over"),
                BackupFallbackWarning,
                stacklevel=2,
            )
        if path is None:
            return
        try:
            self.model.load_weights(path)
        except ValueError as err:
            raise ValueError(
                f"The backup {path} is not of this model (a run of another "
                f"model or configuration?): {' '.join(str(err).split())}; "
                f"delete {self.folder} to start over."
            ) from None
        self.model._initial_epoch = epoch
        # Keras' backup files, once resumed from, give way to ours.
        for names in _KERAS_BACKUPS:
            for name in names:
                with _missing_ok():
                    os.remove(os.path.join(self.folder, name))

    def on_epoch_end(self, epoch, logs=None):
        path = os.path.join(self.folder, f"epoch_{epoch + 1:04d}.weights.h5")
        with atomic_path(path, suffix=".weights.h5") as tmp_path:
            self.model.save_weights(tmp_path)
        for old in _backups(self.folder)[self.keep :]:
            os.remove(old[1])

    def on_train_end(self, logs=None):
        # `fit` reads `_initial_epoch` before every run: the next `fit`
        # of this model starts where it is told to.
        self.model._initial_epoch = None
        shutil.rmtree(self.folder, ignore_errors=True)


def find_backup(folder):
    """The newest backup in `folder` that reads whole.

    Args:
        folder: str. A `TrainingBackup` (or `BackupAndRestore`) folder.

    Returns:
        `(epochs, path, unreadable)`: the epochs the backup completed (0
        without one), its path (None without one), and `(path, reason)`
        for each newer backup that cannot be read.

    Example:
    >>> find_backup("/nonexistent")
    (0, None, [])
    """
    unreadable = []
    for epoch, path in _backups(folder):
        reason = _unreadable(path)
        if reason is None:
            return epoch, path, unreadable
        unreadable.append((path, reason))
    return 0, None, unreadable


def has_backup(folder):
    """Whether `folder` holds any backup, readable or not: what a run that
    did not complete leaves (a completed `fit` deletes its backups).

    Example:
    >>> has_backup("/nonexistent")
    False
    """
    return bool(_backups(folder))


# `fit` makes two iterators of a `tf.data.Dataset` per epoch (Keras 3.10 to
# 3.15); tests/cli/test_resume.py fails if that changes.
ITERATORS_PER_EPOCH = 2


def skip_shuffles(dataset, epochs):
    """Advances a reshuffling dataset's order by `epochs` epochs of `fit`.

    A seeded `shuffle(..., reshuffle_each_iteration=True)` draws a new order
    each time an iterator is made. Making (and dropping) the iterators the
    finished epochs made puts a resumed run on the order the uninterrupted
    run would have used next.

    Args:
        dataset: tf.data.Dataset. The dataset `fit` reads.
        epochs: int. The epochs the backup completed.

    Example:
    >>> backup = TrainingBackup("runs/vae/backup")
    >>> skip_shuffles(dataset, backup.completed_epochs())  # doctest: +SKIP
    """
    for _ in range(epochs * ITERATORS_PER_EPOCH):
        iter(dataset)


def _backups(folder):
    """`(epochs, path)` of the backups in `folder`, newest first."""
    found = []
    with _missing_ok():
        for name in os.listdir(folder):
            match = _BACKUP_NAME.match(name)
            if match:
                found.append((int(match[1]), os.path.join(folder, name)))
    for weights, metadata in _KERAS_BACKUPS:
        with _missing_ok(), open(os.path.join(folder, metadata)) as f:
            epoch = json.load(f)["epoch"]
            found.append((int(epoch), os.path.join(folder, weights)))
    return sorted(found, reverse=True)


def _unreadable(path):
    """Why the weights file at `path` cannot be read, or None if it can."""
    try:
        with h5py.File(path, "r") as f:
            # Reading every array finds truncation and damage anywhere.
            f.visititems(_read)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        return " ".join(str(err).split()) or type(err).__name__
    return None


def _read(name, item):
    # `visititems` stops at the first callback that returns a value.
    if isinstance(item, h5py.Dataset):
        item[()]


def _missing_ok():
    """Ignores a missing or unreadable file (and a bad metadata file)."""
    return contextlib.suppress(OSError, ValueError, KeyError, TypeError)
