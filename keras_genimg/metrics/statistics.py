"""Mean and covariance of features, accumulated batch by batch."""

import numpy as np


class RunningStatistics:
    """Streaming mean and covariance of feature vectors, in float64.

    Batches are merged with the pairwise update of Chan, Golub & LeVeque
    (1979), which keeps sums of squared deviations from the running mean
    rather than raw sums of squares, so the result matches
    `np.mean`/`np.cov` of all the rows at once to rounding error, whatever
    the batch sizes.

    Args:
        num_features: int or None. Size of each feature vector; taken from
            the first batch when None.

    Example:
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(100, 3))
    >>> stats = RunningStatistics()
    >>> for batch in np.array_split(x, 7):
    ...     stats.update(batch)
    >>> bool(np.allclose(stats.covariance(), np.cov(x, rowvar=False)))
    True
    """

    def __init__(self, num_features=None):
        self.num_features = num_features
        self.count = 0
        self._mean = None
        self._m2 = None

    def update(self, features):
        """Adds a batch of feature vectors `(batch, num_features)`."""
        features = np.asarray(features, dtype="float64")
        if features.ndim != 2:
            raise ValueError(
                "`features` must have shape (batch, num_features). "
                f"Received shape {features.shape}."
            )
        if self.num_features is None:
            self.num_features = features.shape[1]
        if features.shape[1] != self.num_features:
            raise ValueError(
                f"Expected {self.num_features} features per row, received "
                f"{features.shape[1]}."
            )
        count = len(features)
        if count == 0:
            return
        mean = features.mean(axis=0)
        centered = features - mean
        m2 = centered.T @ centered
        if self.count == 0:
            self.count, self._mean, self._m2 = count, mean, m2
            return
        total = self.count + count
        delta = mean - self._mean
        self._m2 = (
            self._m2
            + m2
            + np.outer(delta, delta) * (self.count * count / total)
        )
        self._mean = self._mean + delta * (count / total)
        self.count = total

    def mean(self):
        """The mean feature vector, float64 `(num_features,)`."""
        self._check_count(1)
        return self._mean.copy()

    def covariance(self):
        """The sample covariance (divided by N - 1), float64 `(D, D)`."""
        self._check_count(2)
        return self._m2 / (self.count - 1)

    def _check_count(self, needed):
        if self.count < needed:
            raise ValueError(
                f"Need at least {needed} feature vectors; have {self.count}."
            )


def feature_statistics(features):
    """Mean and covariance of feature rows `(N, D)`, float64.

    Args:
        features: array `(N, D)` with N >= 2.

    Returns:
        `(mean, covariance)`: float64 arrays `(D,)` and `(D, D)`.

    Example:
    >>> mean, cov = feature_statistics(np.eye(3))
    >>> mean.shape, cov.shape
    ((3,), (3, 3))
    """
    stats = RunningStatistics()
    stats.update(features)
    return stats.mean(), stats.covariance()
