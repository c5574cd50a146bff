"""Ctrl-C and SIGTERM during `fit`: stop between two steps.

Raised from a signal handler, `KeyboardInterrupt` lands wherever the main
thread is; on the JAX backend that can be inside the data iterator, which
ends the epoch as if the data had run out, and `fit` then completes as if
training were done. Here the handler only records the signal, and a
callback raises it between two steps, where `fit` lets it through.
"""

import contextlib
import signal
import threading

import keras

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal(keras.callbacks.Callback):
    """Raises `KeyboardInterrupt` after the step during which a signal of
    `SIGNALS` arrived (see `stopping_on_signals`)."""

    def __init__(self):
        super().__init__()
        self.received = None

    def on_train_batch_end(self, batch, logs=None):
        self._stop_if_received()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_if_received()

    def _stop_if_received(self):
        if self.received is not None:
            raise KeyboardInterrupt(f" by {self.received}")


@contextlib.contextmanager
def stopping_on_signals():
    """Yields a `StopOnSignal` callback; inside the block, SIGINT and
    SIGTERM are recorded for it instead of interrupting at once."""
    callback = StopOnSignal()
    if threading.current_thread() is not threading.main_thread():
        yield callback  # Only the main thread receives signals.
        return

    def record(signum, frame):
        callback.received = signal.Signals(signum).name

    previous = {number: signal.signal(number, record) for number in SIGNALS}
    try:
        yield callback
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
