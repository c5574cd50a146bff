"""Tests of the VAE's fitted latent prior (`models.latent_prior`)."""

import keras
import numpy as np
import pytest

from keras_genimg.models import VAE
from keras_genimg.models.latent_prior import GaussianMixturePrior
from tests import model_checks


def _three_clusters(count=3000):
    rng = np.random.default_rng(0)
    means = np.array([[-6.0, 0.0], [6.0, 0.0], [0.0, 8.0]])
    weights = np.array([0.5, 0.3, 0.2])
    chosen = rng.choice(3, count, p=weights)
    scales = np.array([[[1.0, 0.0], [0.5, 0.5]], np.eye(2), 0.3 * np.eye(2)])
    noise = rng.standard_normal((count, 2))
    points = means[chosen] + np.einsum("nij,nj->ni", scales[chosen], noise)
    return points, weights, means, scales


def test_em_recovers_a_known_mixture():
    points, weights, means, scales = _three_clusters()
    prior = GaussianMixturePrior(components=3, latent_dim=2)
    prior.fit(points, seed=0)
    fitted_weights, fitted_means, fitted_scales = prior.parameters()
    order = np.argsort(fitted_means[:, 0] + 0.01 * fitted_means[:, 1])
    order = order[[0, 2, 1]]  # left, right, top
    np.testing.assert_allclose(fitted_weights[order], weights, atol=0.03)
    np.testing.assert_allclose(fitted_means[order], means, atol=0.15)
    covariances = scales @ scales.transpose(0, 2, 1)
    fitted = fitted_scales[order] @ fitted_scales[order].transpose(0, 2, 1)
    np.testing.assert_allclose(fitted, covariances, atol=0.15)
    # Its samples have the data's mean and spread.
    samples = prior.sample(20000, seed=1)
    np.testing.assert_allclose(samples.mean(0), points.mean(0), atol=0.15)
    np.testing.assert_allclose(samples.std(0), points.std(0), rtol=0.05)


def test_an_unfitted_prior_draws_what_n01_draws():
    with_prior = VAE((16, 16, 1), latent_dim=4, filters=8, prior_components=3)
    plain = VAE((16, 16, 1), latent_dim=4, filters=8)
    np.testing.assert_array_equal(
        with_prior.sample_latent(6, seed=2), plain.sample_latent(6, seed=2)
    )
    assert plain.prior_parameters() is None


def test_fit_prior_fits_the_encoded_images_and_survives_saving(tmp_path):
    vae = model_checks.train(
        model_checks.build("vae", prior_components=2), steps=4
    )
    images = np.random.default_rng(0).random((40, 16, 16, 1), "float32")
    vae.fit_prior(images)
    codes, _ = vae.encode(images)
    samples = vae.sample_latent(4000, seed=0)
    # The samples spread as the codes do, not as N(0, I).
    np.testing.assert_allclose(samples.mean(0), codes.mean(0), atol=0.1)
    np.testing.assert_allclose(samples.std(0), codes.std(0), rtol=0.15)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.prior_components == 2
    for saved, restored in zip(
        vae.prior_parameters(), loaded.prior_parameters(), strict=True
    ):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_allclose(
        loaded.generate(3, seed=5), vae.generate(3, seed=5), atol=1e-6
    )


def test_bad_priors_fail_with_one_line():
    vae = model_checks.build("vae", prior_components=None)
    images = np.zeros((4, 16, 16, 1), "float32")
    with pytest.raises(ValueError, match="has no prior to fit"):
        vae.fit_prior(images)
    prior = GaussianMixturePrior(components=5, latent_dim=2)
    with pytest.raises(ValueError, match="at least as many points"):
        prior.fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        prior.fit(np.zeros((8, 3)))
    with pytest.raises(ValueError, match="`components` must be a positive"):
        GaussianMixturePrior(components=0, latent_dim=2)
