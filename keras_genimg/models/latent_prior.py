"""A Gaussian-mixture prior fitted to a VAE's latent codes after training.

A VAE is trained to make its posteriors close to N(0, I), but their union
(the aggregate posterior) is not N(0, I): it has holes and clusters, and
latent vectors drawn from N(0, I) that fall in a hole decode to blurred
blends of digits. Ghosh et al. ("From Variational to Deterministic
Autoencoders", ICLR 2020) fit a density to the encoded training set after
training ("ex-post density estimation") and sample from it instead; a
mixture of 10 full-covariance Gaussians, fitted by expectation-
maximisation, is their simplest choice. On MNIST it lowers the zoo VAE's
judge FCD from about 25 to about 8 (`benchmarks/RESULTS.md`).
"""

import keras
import numpy as np
from keras import ops

# Added to every covariance: keeps a component that holds few codes
# invertible.
COVARIANCE_FLOOR = 1e-4


@keras.saving.register_keras_serializable(package="keras_genimg")
class GaussianMixturePrior(keras.layers.Layer):
    """A mixture of `components` Gaussians over `latent_dim` dimensions.

    It holds the mixture weights, means and Cholesky factors of the
    covariances as non-trainable weights, so the model that owns it saves
    and restores them. It starts as N(0, I) (every component), so a model
    samples as before until `fit` is called.

    Args:
        components: int. Number of Gaussians.
        latent_dim: int. Dimension of the latent space.
        **kwargs: passed to `keras.layers.Layer`.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> points = np.concatenate([rng.normal(-4, 1, (500, 2)),
    ...                          rng.normal(4, 1, (500, 2))])
    >>> prior = GaussianMixturePrior(components=2, latent_dim=2)
    >>> prior.fit(points, seed=0)
    >>> weights, means, _ = prior.parameters()
    >>> np.round(np.sort(means[:, 0])).tolist(), np.round(weights, 1).tolist()
    ([-4.0, 4.0], [0.5, 0.5])
    >>> prior.sample(3, seed=0).shape
    (3, 2)
    """

    def __init__(self, components, latent_dim, **kwargs):
        super().__init__(**kwargs)
        for name, value in [("components", components),
                            ("latent_dim", latent_dim)]:  # fmt: skip
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive int. Received: {value!r}"
                )
        self.components = int(components)
        self.latent_dim = int(latent_dim)
        shape = (self.components, self.latent_dim)
        self.mixture_weights = self._state(
            "mixture_weights", np.full(shape[0], 1.0 / shape[0])
        )
        self.means = self._state("means", np.zeros(shape))
        identity = np.broadcast_to(np.eye(shape[1]), (*shape, shape[1]))
        self.scales = self._state("scales", identity)
        self.built = True

    def _state(self, name, value):
        return self.add_weight(
            shape=value.shape,
            initializer=keras.initializers.Constant(value.astype("float32")),
            dtype="float32",
            trainable=False,
            name=name,
        )

    def parameters(self):
        """`(weights, means, scales)`: float64 numpy arrays `(K,)`,
        `(K, D)` and `(K, D, D)` (lower-triangular Cholesky factors)."""
        return tuple(
            ops.convert_to_numpy(v).astype("float64")
            for v in (self.mixture_weights, self.means, self.scales)
        )

    def fit(self, points, seed=0, iterations=100, tolerance=1e-3):
        """Fits the mixture to `points` by expectation-maximisation.

        Args:
            points: float array `(n, latent_dim)`, `n >= components`.
            seed: int. Picks the points the means start from.
            iterations: int. At most this many EM steps.
            tolerance: float. Stops once the mean log-likelihood per point
                gains less than this in a step (as scikit-learn's
                `GaussianMixture` does).
        """
        points = np.asarray(points, "float64")
        if points.ndim != 2 or points.shape[1] != self.latent_dim:
            raise ValueError(
                f"`points` must have shape (n, {self.latent_dim}). "
                f"Received: {points.shape}"
            )
        if len(points) < self.components:
            raise ValueError(
                f"Fitting {self.components} components takes at least as "
                f"many points; received {len(points)}."
            )
        weights, means, scales = fit_gaussian_mixture(
            points, self.components, seed, iterations, tolerance
        )
        self.mixture_weights.assign(weights.astype("float32"))
        self.means.assign(means.astype("float32"))
        self.scales.assign(scales.astype("float32"))

    def sample(self, num, seed=None):
        """Draws `num` float32 vectors `(num, latent_dim)`.

        The standard-normal draw comes first from the seed's generator, so
        an unfitted prior gives exactly the vectors of N(0, I) for a seed.
        """
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((num, self.latent_dim))
        weights, means, scales = self.parameters()
        chosen = rng.choice(self.components, num, p=weights / weights.sum())
        z = means[chosen] + np.einsum("nij,nj->ni", scales[chosen], noise)
        return z.astype("float32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {"components": self.components, "latent_dim": self.latent_dim}
        )
        return config


def fit_gaussian_mixture(points, components, seed, iterations, tolerance):
    """Expectation-maximisation for a full-covariance Gaussian mixture.

    It starts from the clusters of a few k-means steps (as scikit-learn's
    `GaussianMixture` does), so that EM does not begin on a plateau
    where every component covers all points.

    Returns:
        `(weights, means, scales)`: `(K,)`, `(K, D)` and `(K, D, D)`
        float64 arrays, `scales` the Cholesky factors of the covariances.
    """
    dim = points.shape[1]
    floor = COVARIANCE_FLOOR * np.eye(dim)
    cluster = _kmeans(points, components, np.random.default_rng(seed))
    responsibility = np.eye(components)[cluster]
    weights, means, covariances = _maximisation(points, responsibility, floor)
    previous = -np.inf
    for _ in range(iterations):
        scales = np.linalg.cholesky(covariances)
        log_density = np.stack(
            [
                _log_normal(points, means[k], scales[k]) + np.log(weights[k])
                for k in range(components)
            ],
            axis=1,
        )
        peak = log_density.max(axis=1, keepdims=True)
        log_total = peak[:, 0] + np.log(np.exp(log_density - peak).sum(1))
        likelihood = log_total.mean()
        if likelihood - previous < tolerance:
            return weights, means, scales
        previous = likelihood
        responsibility = np.exp(log_density - log_total[:, None])
        weights, means, covariances = _maximisation(
            points, responsibility, floor
        )
    return weights, means, np.linalg.cholesky(covariances)


def _maximisation(points, responsibility, floor):
    """The weights, means and covariances that fit points each shared out
    among the components as `responsibility` `(n, K)` says."""
    counts = responsibility.sum(axis=0) + 1e-12
    means = responsibility.T @ points / counts[:, None]
    covariances = np.stack(
        [
            (weight[:, None] * (points - mean)).T @ (points - mean) / total
            + floor
            for weight, mean, total in zip(
                responsibility.T, means, counts, strict=True
            )
        ]
    )
    return counts / len(points), means, covariances


def _kmeans(points, clusters, rng, steps=10):
    """The cluster of every point after `steps` k-means steps from
    distinct random points."""
    centres = points[rng.choice(len(points), clusters, replace=False)]
    for _ in range(steps):
        distances = ((points[:, None] - centres[None]) ** 2).sum(axis=2)
        nearest = distances.argmin(axis=1)
        for k in range(clusters):
            if (nearest == k).any():
                centres[k] = points[nearest == k].mean(axis=0)
    return nearest


def _log_normal(points, mean, scale):
    """Log-density of N(mean, scale @ scale.T) at every point."""
    standardised = np.linalg.solve(scale, (points - mean).T)
    log_determinant = 2.0 * np.log(np.diag(scale)).sum()
    dim = len(mean)
    return -0.5 * (
        (standardised**2).sum(axis=0)
        + log_determinant
        + dim * np.log(2.0 * np.pi)
    )
