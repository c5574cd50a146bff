"""Fréchet distance between Gaussians fitted to two sets of features."""

import numpy as np

from keras_genimg.metrics.statistics import feature_statistics


def frechet_distance(mean1, cov1, mean2, cov2):
    """Fréchet (2-Wasserstein) distance between two Gaussians.

    `d² = |mean1 - mean2|² + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2))`, the
    Fréchet Inception Distance of Heusel et al. (2017) when the Gaussians
    are fitted to Inception features. The trace of the matrix square root
    is computed in float64 from the eigenvalues of the symmetric matrix
    `cov1^(1/2) cov2 cov1^(1/2)`, which has the same eigenvalues as
    `cov1 cov2`; rounding errors that make tiny eigenvalues negative are
    clipped to zero, so singular covariances (fewer samples than features)
    are handled without complex numbers.

    Args:
        mean1: array `(D,)`. Mean of the first set.
        cov1: array `(D, D)`. Covariance of the first set.
        mean2: array `(D,)`. Mean of the second set.
        cov2: array `(D, D)`. Covariance of the second set.

    Returns:
        float. The squared distance (what papers report as FID), >= 0.

    Example:
    >>> round(frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2)))
    2
    """
    mean1, mean2 = _as_float64(mean1, 1), _as_float64(mean2, 1)
    cov1, cov2 = _as_float64(cov1, 2), _as_float64(cov2, 2)
    dim = len(mean1)
    square = (dim, dim)
    if mean2.shape != (dim,) or cov1.shape != square or cov2.shape != square:
        raise ValueError(
            "Means must have shape (D,) and covariances (D, D) with the "
            f"same D. Received {mean1.shape}, {cov1.shape}, {mean2.shape}, "
            f"{cov2.shape}."
        )
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mean1 - mean2
    distance = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt
    return float(max(distance, 0.0))


def frechet_distance_from_features(features1, features2):
    """Fréchet distance between Gaussians fitted to two feature sets.

    Args:
        features1: array `(N1, D)`, N1 >= 2.
        features2: array `(N2, D)`, N2 >= 2.

    Returns:
        float. The squared Fréchet distance.

    Example:
    >>> x = np.random.default_rng(0).normal(size=(50, 4))
    >>> frechet_distance_from_features(x, x) < 1e-9
    True
    """
    return frechet_distance(
        *feature_statistics(features1), *feature_statistics(features2)
    )


def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (vectors * roots) @ vectors.T


def _as_float64(value, ndim):
    value = np.asarray(value, dtype="float64")
    if value.ndim != ndim:
        raise ValueError(
            f"Expected a {ndim}-D array, received shape {value.shape}."
        )
    return value
