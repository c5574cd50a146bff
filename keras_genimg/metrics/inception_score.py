"""Inception Score: how confident and how varied a classifier finds images."""

import numpy as np

DEFAULT_NUM_SPLITS = 10


def inception_score(probabilities, num_splits=DEFAULT_NUM_SPLITS):
    """Inception Score (Salimans et al., 2016) of class predictions.

    `IS = exp(E_x KL(p(y|x) || p(y)))`, where `p(y)` is the mean prediction
    over the images. It is 1 when every image gets the same prediction and
    reaches the number of classes when each image is classified with
    certainty and the classes are equally frequent. As in the paper, the
    images are cut into `num_splits` consecutive parts and the score is
    averaged over them; part `i` holds images `i*N//num_splits` to
    `(i+1)*N//num_splits`, as in the reference implementations (OpenAI's
    and torch-fidelity's).

    Args:
        probabilities: array `(N, C)` of class probabilities (softmax
            outputs), one row per generated image.
        num_splits: int. Parts to average over; at most N. Defaults to 10.

    Returns:
        `(mean, std)`: floats over the splits.

    Example:
    >>> inception_score(np.full((20, 4), 0.25), num_splits=2)
    (1.0, 0.0)
    >>> inception_score(np.eye(4)[np.arange(20) % 4], num_splits=5)[0]
    4.0
    """
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim != 2 or len(probs) == 0:
        raise ValueError(
            "`probabilities` must have shape (N, num_classes) with N >= 1. "
            f"Received shape {probs.shape}."
        )
    if np.any(probs < 0):
        raise ValueError("`probabilities` must be non-negative.")
    if not 1 <= num_splits <= len(probs):
        raise ValueError(
            f"`num_splits` must be in [1, {len(probs)}], got {num_splits}."
        )
    probs = probs / probs.sum(axis=1, keepdims=True)
    bounds = [i * len(probs) // num_splits for i in range(num_splits + 1)]
    scores = [_score(probs[a:b]) for a, b in zip(bounds, bounds[1:])]
    return float(np.mean(scores)), float(np.std(scores))


def _score(probs):
    marginal = probs.mean(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs / marginal), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))
