"""Callback that stops training with a clear error when a loss diverges."""

import math

import keras


class TrainingDivergedError(RuntimeError):
    """A logged loss or metric became NaN or infinite during training."""


class DivergenceGuard(keras.callbacks.Callback):
    """Stops `fit` as soon as a loss or metric of the training step (or
    its validation counterpart) is NaN or infinite.

    Unlike `keras.callbacks.TerminateOnNaN`, which ends the epoch quietly,
    this raises `TrainingDivergedError` naming the epoch, the batch and
    the value, so a script or the command line fails loudly. Because the
    error is raised before the epoch ends, epoch-end checkpoints (such as
    `AtomicCheckpoint` and `keras.callbacks.BackupAndRestore`) keep the last
    epoch that finished with finite values. Values that other callbacks
    log at the end of an epoch are theirs to judge: `SampleMetric` logs
    NaN on the epochs it skips.

    Example:
    >>> guard = DivergenceGuard()
    >>> # model.fit(data, epochs=10, callbacks=[guard])
    """

    def on_train_begin(self, logs=None):
        self._step_keys = set()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self._step_keys.update(logs)
        self._check(logs, f"batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        keys = self._step_keys | {f"val_{key}" for key in self._step_keys}
        logs = {k: v for k, v in (logs or {}).items() if k in keys}
        self._check(logs, "the end of the epoch")

    def _check(self, logs, where):
        for key, value in logs.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                self.model.stop_training = True
                raise TrainingDivergedError(
                    f"Training diverged in epoch {self._epoch + 1}, at "
                    f"{where}: {key} is {value}. Checkpoints written at the "
                    "end of earlier epochs are kept; lower the learning "
                    "rate or check the data for NaN values."
                )
