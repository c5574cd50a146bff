"""Callback that stops `fit` on Ctrl-C or SIGTERM between two steps."""

import signal
import threading

import keras

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal(keras.callbacks.Callback):
    """Stops `fit` with `KeyboardInterrupt` after the step a signal came in.

    Raised from Python's own handler, `KeyboardInterrupt` lands wherever
    the main thread is; on the JAX backend that can be inside the data
    iterator, which ends the epoch as if the data had run out, and `fit`
    then returns as if training were done. Inside a `with StopOnSignal()`
    block, SIGINT (Ctrl-C) and SIGTERM are only recorded, and the callback
    raises `KeyboardInterrupt` after the step (or at the end of the epoch)
    during which one arrived, where `fit` lets it through. Leaving the
    block puts the previous handlers back. Signals reach the main thread
    only: used in another thread, the block changes nothing.

    Example:
    >>> with StopOnSignal() as stop_on_signal:  # doctest: +SKIP
    ...     model.fit(data, epochs=10, callbacks=[stop_on_signal])
    """

    def __init__(self):
        super().__init__()
        self.received = None
        self._previous = {}

    def __enter__(self):
        self.received = None  # a signal of an earlier block is past
        if threading.current_thread() is threading.main_thread():
            self._previous = {
                number: signal.signal(number, self._record)
                for number in SIGNALS
            }
        return self

    def __exit__(self, *exc_info):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def on_train_batch_end(self, batch, logs=None):
        self._stop_if_received()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_if_received()

    def _record(self, signum, frame):
        self.received = signal.Signals(signum).name

    def _stop_if_received(self):
        if self.received is not None:
            raise KeyboardInterrupt(f" by {self.received}")
