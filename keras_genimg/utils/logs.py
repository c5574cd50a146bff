"""Holding back another library's log messages for a block of our code."""

import contextlib
import logging


@contextlib.contextmanager
def errors_only(logger_name):
    """Lets only errors through the `logging` logger `logger_name` inside
    the block, then restores its level.

    Args:
        logger_name: str. The logger, e.g. `"absl"` (which TensorFlow
            Datasets logs through) or `"tensorflow"`.

    Example:
    >>> import logging
    >>> with errors_only("absl"):
    ...     logging.getLogger("absl").isEnabledFor(logging.WARNING)
    False
    >>> logging.getLogger("absl").isEnabledFor(logging.WARNING)
    True
    """
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
