"""Kernel Inception Distance: an unbiased MMD² with a cubic kernel."""

import warnings

import numpy as np

DEFAULT_NUM_SUBSETS = 100
DEFAULT_SUBSET_SIZE = 1000


def polynomial_kernel(x, y):
    """The KID kernel `k(x, y) = (x·y / D + 1)³`, float64.

    Args:
        x: array `(N, D)`.
        y: array `(M, D)`.

    Returns:
        A float64 array `(N, M)`.

    Example:
    >>> polynomial_kernel(np.ones((1, 2)), np.ones((1, 2)))
    array([[8.]])
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased estimate of the squared MMD between two samples.

    The within-sample kernel means leave out the diagonal (`k(x_i, x_i)`),
    which makes the estimate unbiased: its mean is 0 when `x` and `y` come
    from one distribution, so single estimates can be negative.

    Args:
        x: array `(N, D)`, N >= 2.
        y: array `(M, D)`, M >= 2.

    Returns:
        float. The estimate.

    Example:
    >>> x = np.random.default_rng(0).normal(size=(200, 4))
    >>> abs(mmd2_unbiased(x[:100], x[100:])) < 0.1
    True
    """
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        raise ValueError(
            f"Each sample needs at least 2 rows; received {n} and {m}."
        )
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kernel_inception_distance(
    real_features,
    fake_features,
    num_subsets=DEFAULT_NUM_SUBSETS,
    subset_size=DEFAULT_SUBSET_SIZE,
    seed=0,
):
    """Kernel Inception Distance (Bińkowski et al., 2018).

    The unbiased squared MMD with the cubic polynomial kernel
    `(x·y / D + 1)³`, averaged over `num_subsets` random subsets of
    `subset_size` rows drawn without replacement from each set, as in the
    paper's code. Unlike FID it has an unbiased estimator, so values from
    different sample sizes are comparable; it is often reported x1000.

    Args:
        real_features: array `(N, D)`.
        fake_features: array `(M, D)`.
        num_subsets: int. Number of subsets. Defaults to 100.
        subset_size: int. Rows per subset; capped at `min(N, M)`, with a
            warning.
            Defaults to 1000.
        seed: int or None. Seed of the subset draws. Defaults to 0.

    Returns:
        `(mean, std)`: floats, the mean and standard deviation of the
        estimates over the subsets.

    Example:
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) + 1.0
    >>> kid, _ = kernel_inception_distance(x, y, num_subsets=5, subset_size=100)
    >>> kid > 0.1
    True
    """
    real = np.asarray(real_features, dtype="float64")
    fake = np.asarray(fake_features, dtype="float64")
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            "Feature sets must have shapes (N, D) and (M, D) with the same "
            f"D. Received {real.shape} and {fake.shape}."
        )
    if num_subsets < 1:
        raise ValueError(f"`num_subsets` must be >= 1, got {num_subsets}.")
    size = min(subset_size, len(real), len(fake))
    if size < subset_size:
        warnings.warn(
            f"KID subset size {subset_size} is more than the {size} rows of "
            f"the smaller feature set; using {size} (torch-fidelity refuses "
            "this). With as many rows as the set, subsets differ little and "
            "the std means little: give more images or a smaller subset.",
            stacklevel=2,
        )
    rng = np.random.default_rng(seed)
    estimates = np.array(
        [
            mmd2_unbiased(
                real[rng.choice(len(real), size, replace=False)],
                fake[rng.choice(len(fake), size, replace=False)],
            )
            for _ in range(num_subsets)
        ]
    )
    return float(estimates.mean()), float(estimates.std())
