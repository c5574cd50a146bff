"""The GANs' quality levers: EMA generator, spectral norm, hinge loss and
DiffAugment."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_genimg import models
from keras_genimg.models import (
    DCGAN,
    VAE,
    WGANGP,
    SpectralNormalization,
    backend,
)
from keras_genimg.models.diff_augment import diff_augment, parse_policy
from keras_genimg.models.weight_average import averaged_copy, update_average
from tests.model_checks import assert_save_load_round_trip

SHAPE = (16, 16, 1)
IMAGES = np.random.default_rng(0).random((64,) + SHAPE, "float32")
LABELS = np.arange(64) % 3


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


def small_gan(**kwargs):
    gan = DCGAN(SHAPE, latent_dim=8, filters=8, seed=0, **kwargs)
    gan.compile()
    return gan


def weights_of(network):
    return [np.array(w) for w in network.weights]


# === EMA generator ===


def test_average_follows_the_documented_update():
    gan = small_gan(ema_decay=0.5)
    before = weights_of(gan.generator)
    for average, weight in zip(weights_of(gan.ema_generator), before):
        np.testing.assert_array_equal(average, weight)
    gan.fit(IMAGES[:32], batch_size=32, epochs=1, verbose=0)
    after = weights_of(gan.generator)
    # One generator step: d = min(0.5, (1 + 1) / (10 + 1)) = 2 / 11.
    decay = 2.0 / 11.0
    changed = 0
    for average, old, new in zip(
        weights_of(gan.ema_generator), before, after, strict=True
    ):
        np.testing.assert_allclose(
            average, new + decay * (old - new), rtol=1e-5, atol=1e-6
        )
        changed += not np.allclose(average, new)
    assert changed > 0  # the average is not the last weights


@pytest.mark.slow
def test_decay_zero_average_is_the_weights():
    gan = small_gan(ema_decay=0.0)
    gan.fit(IMAGES, batch_size=32, epochs=1, verbose=0)
    for average, weight in zip(
        weights_of(gan.ema_generator), weights_of(gan.generator), strict=True
    ):
        np.testing.assert_allclose(average, weight, rtol=1e-6, atol=1e-7)


def test_sampling_uses_the_average_and_the_raw_generator_stays():
    gan = small_gan(ema_decay=0.9)
    gan.fit(IMAGES, batch_size=16, epochs=2, verbose=0)
    z = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    averaged = gan.generate(z=z)
    expected = (
        ops.convert_to_numpy(gan.ema_generator(z, training=False)) + 1.0
    ) / 2.0
    np.testing.assert_allclose(averaged, expected, atol=1e-5)
    gan.use_ema = False
    raw = gan.generate(z=z)
    np.testing.assert_allclose(
        raw,
        (ops.convert_to_numpy(gan.generator(z, training=False)) + 1.0) / 2.0,
        atol=1e-5,
    )
    assert np.abs(raw - averaged).max() > 1e-3
    assert len(gan.trainable_weights) == len(
        gan.generator.trainable_weights
    ) + len(gan.discriminator.trainable_weights)


@pytest.mark.slow
def test_average_survives_save_and_load(tmp_path):
    gan = small_gan(num_classes=3)
    gan.fit(IMAGES, LABELS, batch_size=16, epochs=1, verbose=0)
    loaded = assert_save_load_round_trip(
        gan, tmp_path, num_images=4, labels=[0, 1, 2, 0], seed=3
    )
    assert loaded.use_ema and loaded.ema_decay == gan.ema_decay
    for a, b in zip(weights_of(loaded.ema_generator),
                    weights_of(gan.ema_generator), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    # Saved while sampling from the raw generator: the average is kept,
    # and sampling still uses the raw generator.
    gan.use_ema = False
    loaded = assert_save_load_round_trip(gan, tmp_path)
    assert loaded.ema_generator is not None and not loaded.use_ema
    for a, b in zip(weights_of(loaded.ema_generator),
                    weights_of(gan.ema_generator), strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    loaded.use_ema = True


@pytest.mark.slow
def test_wgan_gp_keeps_an_average_too():
    gan = WGANGP(SHAPE, latent_dim=8, filters=8, ema_decay=0.0, seed=0)
    gan.compile()
    gan.fit(IMAGES[:40], batch_size=20, epochs=1, verbose=0)
    for a, b in zip(weights_of(gan.ema_generator),
                    weights_of(gan.generator), strict=True):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_without_ema_there_is_no_average_to_use():
    gan = small_gan(use_ema=False)
    assert gan.ema_generator is None
    with pytest.raises(ValueError, match="use_ema=True"):
        gan.use_ema = True
    with pytest.raises(ValueError, match="ema_decay"):
        DCGAN(SHAPE, ema_decay=1.0)
    # A VAE keeps no average, and is not built with `use_ema`.
    vae = VAE(SHAPE, latent_dim=2, filters=8)
    assert not vae.use_ema and vae.weight_average is None
    assert vae.sampling_network is None
    assert "use_ema" not in vae.get_config()
    with pytest.raises(ValueError, match="VAE keeps no average of its weights"):
        vae.use_ema = True


def test_an_average_without_decay_is_the_weights():
    inputs = keras.Input((3,))
    network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    average = averaged_copy(network, "average")
    network.set_weights([np.ones((3, 2)), np.ones(2)])
    update_average(average, network, decay=0.0, step=0)
    # `v + 1 * (w - v)`: w up to rounding.
    np.testing.assert_allclose(
        ops.convert_to_numpy(average.weights[0]), np.ones((3, 2)), rtol=1e-6
    )


# === Spectral normalization and the hinge loss ===


def test_spectral_normalization_divides_by_the_largest_singular_value():
    layer = SpectralNormalization(keras.layers.Dense(5))
    x = np.random.default_rng(0).normal(size=(6, 7)).astype("float32")
    layer.build(x.shape)
    initial = ops.convert_to_numpy(layer.layer.kernel)
    for _ in range(60):  # power iteration, one step per training call
        layer(x, training=True)
    kernel = ops.convert_to_numpy(layer.layer.kernel)
    bias = ops.convert_to_numpy(layer.layer.bias)
    sigma = np.linalg.norm(kernel, ord=2)
    np.testing.assert_allclose(
        ops.convert_to_numpy(layer(x)),
        x @ (kernel / sigma) + bias,
        rtol=1e-4,
        atol=1e-5,
    )
    # The variable keeps the trained kernel (Keras' wrapper overwrites it).
    np.testing.assert_array_equal(kernel, initial)
    assert abs(sigma - 1.0) > 0.2


def test_gradients_flow_through_sigma():
    # d/dW of sum(x @ W / sigma(W)) is not (sum over x) / sigma: the
    # derivative of sigma enters.
    layer = SpectralNormalization(keras.layers.Dense(3, use_bias=False))
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    for _ in range(30):
        layer(x, training=True)
    # The kernel's value as the input of a stateless call: the zoo's
    # gradient helpers take variables only inside a training step on JAX.
    u_vector = [v.value for v in layer.non_trainable_variables]

    def output_sum(kernel):
        outputs, _ = layer.stateless_call([kernel], u_vector, x)
        return ops.sum(outputs), None

    kernel = layer.layer.kernel.value
    _, grad = backend.value_and_input_grad(output_sum, kernel)
    kernel = ops.convert_to_numpy(kernel).astype("float64")
    sigma = np.linalg.norm(kernel, ord=2)
    u, _, vt = np.linalg.svd(kernel)
    d_sigma = np.outer(u[:, 0], vt[0])  # d sigma / d W
    outer = np.outer(x.sum(axis=0), np.ones(3))
    expected = outer / sigma - (np.sum(outer * kernel) / sigma**2) * d_sigma
    np.testing.assert_allclose(
        ops.convert_to_numpy(grad), expected, rtol=1e-3, atol=1e-4
    )


@pytest.mark.slow
@pytest.mark.parametrize("num_classes", [None, 3])
def test_sngan_keeps_spectral_norms_near_one(num_classes):
    gan = models.get(
        "sngan", image_shape=SHAPE, latent_dim=8, filters=8, seed=0,
        **({"num_classes": num_classes} if num_classes else {}),
    )  # fmt: skip
    gan.compile()
    labels = LABELS if num_classes else None
    history = gan.fit(IMAGES, labels, batch_size=16, epochs=3, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    layers = [layer for layer in gan.discriminator.layers
              if isinstance(layer, SpectralNormalization)]  # fmt: skip
    assert len(layers) == (4 if num_classes else 3)  # 2 convs, dense
    assert not any(
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in gan.discriminator.layers
    )
    for layer in layers:
        kernel = ops.convert_to_numpy(layer.normalized_kernel())
        norm = np.linalg.norm(kernel.reshape(-1, kernel.shape[-1]), ord=2)
        assert 0.9 < norm < 1.1, (layer.name, norm)


def test_hinge_losses_on_hand_made_logits():
    gan = small_gan(loss="hinge")
    real = ops.array([[2.0], [0.5], [-1.0]])
    fake = ops.array([[-2.0], [0.0], [1.0]])
    # mean relu(1 - real) = (0 + 0.5 + 2) / 3; mean relu(1 + fake) = 1.
    assert float(gan.discriminator_loss(real, fake)) == pytest.approx(
        2.5 / 3 + 1.0
    )
    assert float(gan.generator_loss(fake)) == pytest.approx(1.0 / 3)
    bce = small_gan()
    assert float(bce.generator_loss(fake)) == pytest.approx(
        np.mean(np.log1p(np.exp([2.0, 0.0, -1.0]))), rel=1e-5
    )
    with pytest.raises(ValueError, match="loss"):
        DCGAN(SHAPE, loss="wasserstein")
    with pytest.raises(ValueError, match="label_smoothing"):
        DCGAN(SHAPE, loss="hinge", label_smoothing=0.1)


# The SNGAN's round trip through a `.keras` file, its hinge loss and
# spectral norm kept, is checked with every zoo model's in test_saving.py.


# === DiffAugment ===


def test_translation_moves_pixels_and_fills_with_zeros():
    images = np.zeros((64, 16, 16, 1), "float32")
    images[:, 8, 8, 0] = 1.0
    out = ops.convert_to_numpy(
        diff_augment(images, "translation", keras.random.SeedGenerator(0))
    )
    for image in out:
        (rows, columns, _) = np.nonzero(image)
        # Shifts of at most 1/8 of 16 = 2 pixels; the pixel is kept whole.
        assert len(rows) == 1 and image.sum() == 1.0
        assert abs(rows[0] - 8) <= 2 and abs(columns[0] - 8) <= 2
    # Each image draws its own shift: the pixel lands in many places.
    places = {tuple(np.argwhere(image[..., 0])[0]) for image in out}
    assert len(places) > 10


def test_cutout_zeroes_one_square_of_half_the_side():
    images = np.ones((64, 16, 16, 1), "float32")
    out = ops.convert_to_numpy(
        diff_augment(images, "cutout", keras.random.SeedGenerator(1))
    )
    zeros = (out == 0).sum(axis=(1, 2, 3))
    assert zeros.max() == 64  # an 8x8 square when it lies inside
    assert (zeros > 0).all() and (zeros <= 64).all()
    assert set(np.unique(out)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    "policy", ["translation,cutout", "color,translation,cutout"]
)
def test_diff_augment_keeps_gradients_flowing(policy):
    images = ops.convert_to_tensor(
        np.random.default_rng(2)
        .uniform(-1, 1, (8, 16, 16, 3))
        .astype("float32")
    )
    seed = keras.random.SeedGenerator(3)
    (_, _), grads = backend.value_and_input_grad(
        lambda x: (ops.sum(diff_augment(x, policy, seed) ** 2), None), images
    )
    grads = np.array(grads)
    assert grads.shape == images.shape
    # Every image keeps most of its pixels, and they get a gradient.
    assert ((np.abs(grads) > 0).mean(axis=(1, 2, 3)) > 0.5).all()


def test_policies_are_checked():
    assert parse_policy(None, 1) is None
    assert parse_policy(True, 3) == "color,translation,cutout"
    with pytest.raises(ValueError, match="flip"):
        parse_policy("translation,flip", 1)


@pytest.mark.slow
def test_dcgan_trains_with_diff_augment():
    gan = small_gan(diff_augment=True, num_classes=3)
    assert gan.get_config()["diff_augment"] == "translation,cutout"
    history = gan.fit(IMAGES, LABELS, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    # The discriminator sees augmented images in training only.
    x = ops.convert_to_tensor(2.0 * IMAGES[:8] - 1.0)
    assert not np.array_equal(np.array(gan.augment(x)), np.array(x))
    gan.diff_augment = None
    assert gan.augment(x) is x
