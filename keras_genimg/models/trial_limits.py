"""Environment variables that shorten work, for quick trials.

`GENIMG_MAX_EPOCHS=N` and `GENIMG_MAX_STEPS=N` cap the epochs and the
steps per epoch of every `fit` of a zoo model (and of the judge that
`genimg judge train` fits), whatever a script or command asks;
`GENIMG_MAX_STEPS` caps a GAN inversion's Adam steps too;
`GENIMG_MAX_SAMPLES=N` caps the images drawn to measure a model
(`genimg eval --num`, `genimg synthesize --per-class`, `SampleMetric`).
They let every example of the README run in seconds, as its tests run
them. Unset, they change nothing.
"""

import os

MAX_EPOCHS = "GENIMG_MAX_EPOCHS"
MAX_STEPS = "GENIMG_MAX_STEPS"
MAX_SAMPLES = "GENIMG_MAX_SAMPLES"


def limit_fit(epochs, steps_per_epoch):
    """Applies the caps of the environment to `fit`'s arguments.

    Args:
        epochs: int. The epochs asked for.
        steps_per_epoch: int or None. The steps per epoch asked for (None:
            one pass over the data).

    Returns:
        `(epochs, steps_per_epoch)`, capped.

    Example:
    >>> os.environ[MAX_EPOCHS] = "2"
    >>> limit_fit(15, None)
    (2, None)
    >>> del os.environ[MAX_EPOCHS]
    """
    max_steps = _read(MAX_STEPS)
    if max_steps is not None:
        steps_per_epoch = min(steps_per_epoch or max_steps, max_steps)
    return _capped(epochs, MAX_EPOCHS), steps_per_epoch


def limit_search_steps(steps):
    """The steps of a latent search (a GAN inversion's Adam steps), capped
    by `GENIMG_MAX_STEPS` when set.

    Example:
    >>> limit_search_steps(200)  # with the variable unset
    200
    """
    return _capped(steps, MAX_STEPS)


def limit_samples(count):
    """`count` images to draw, capped by `GENIMG_MAX_SAMPLES` when set.

    Example:
    >>> limit_samples(10_000)  # with the variable unset
    10000
    """
    return _capped(count, MAX_SAMPLES)


def _capped(value, name):
    """`value`, or the environment variable `name`'s cap if that is
    lower."""
    cap = _read(name)
    return value if cap is None else min(value, cap)


def _read(name):
    text = os.environ.get(name)
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"The environment variable {name} must be a positive int. "
            f"Received: {text!r}"
        )
    return int(text)
