"""A `genimg train` run folder: one process at a time, and a finished run
kept unless the user asks to replace it."""

import contextlib
import fcntl
import os
import shutil

from keras_genimg.callbacks.training_backup import has_backup
from keras_genimg.models.saving import MODEL_FILE

LOCK_FILE = ".lock"
SAMPLES_FOLDER = "samples"
BACKUP_FOLDER = "backup"


class RunFolderError(OSError):
    """The run folder is in use, or holds a finished run."""


@contextlib.contextmanager
def claim(out, overwrite=False):
    """Holds `out` for this process while the block runs.

    Another process that claims the same folder meanwhile gets a
    `RunFolderError` naming this one's PID (the lock is the kernel's, so
    it goes with the process, however it ends). A folder holding a
    finished run (a `model.keras` and no backup, which a run that did not
    complete leaves) is refused
    unless `overwrite`; then its sample grids and any backup are removed
    first, and the new run replaces `model.keras` and `history.json` as
    it saves its first epoch.

    Args:
        out: str. The run folder, created if missing.
        overwrite: bool. Replace a finished run. Defaults to False.

    Raises:
        RunFolderError: when the folder is in use or holds a finished run.

    Example:
    >>> with claim("runs/vae"):  # doctest: +SKIP
    ...     train_into("runs/vae")
    """
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, LOCK_FILE), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise RunFolderError(
                f"{out!r} is in use by another genimg train (PID {holder}): "
                "wait for it to end, or pass another --out."
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        _refuse_finished_run(out, overwrite)
        yield


def _refuse_finished_run(out, overwrite):
    finished = os.path.exists(os.path.join(out, MODEL_FILE))
    if overwrite:
        for folder in (SAMPLES_FOLDER, BACKUP_FOLDER):
            shutil.rmtree(os.path.join(out, folder), ignore_errors=True)
    elif finished and not has_backup(os.path.join(out, BACKUP_FOLDER)):
        raise RunFolderError(
            f"{out!r} holds a finished run ({MODEL_FILE}): pass --overwrite "
            "to replace it, or another --out."
        )
