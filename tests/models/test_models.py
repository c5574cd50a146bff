"""Tests of the zoo's models: shapes, losses, training and saving."""

import keras
import numpy as np
import pytest

from keras_genimg import models
from keras_genimg.models import DCGAN, VAE, networks
from tests.model_checks import assert_save_load_round_trip

SHAPE = (16, 16, 1)


def blob_images(num, shape=SHAPE, seed=0):
    """Easy data: one bright square per image at a random place."""
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    images = np.zeros((num,) + shape, "float32")
    for image in images:
        top, left = rng.integers(0, height - 6), rng.integers(0, width - 6)
        image[top : top + 6, left : left + 6] = rng.uniform(0.7, 1.0)
    return images


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.mark.parametrize("model_class", [VAE, DCGAN])
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_generate_shape_and_range(model_class, shape):
    model = model_class(image_shape=shape, latent_dim=8, seed=0)
    images = model.generate(num_images=3, seed=1)
    assert images.shape == (3,) + shape
    assert images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.std() > 0.0


@pytest.mark.parametrize("model_class", [VAE, DCGAN])
def test_generate_is_deterministic_for_a_seed(model_class):
    model = model_class(image_shape=SHAPE, latent_dim=4, seed=0)
    first = model.generate(num_images=5, seed=7)
    np.testing.assert_array_equal(first, model.generate(5, seed=7))
    assert not np.allclose(first, model.generate(5, seed=8))
    z = model.sample_latent(5, seed=7)
    np.testing.assert_allclose(model.generate(z=z), first, atol=1e-6)
    # Batching the network calls changes nothing.
    np.testing.assert_allclose(
        model.generate(z=z, batch_size=2), first, atol=1e-6
    )


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="a tf.function's traces (JAX traces once per batch shape)",
)
@pytest.mark.parametrize("num_classes", [None, 3])
def test_sampling_is_traced_once_for_every_batch_size(num_classes):
    model = DCGAN(image_shape=SHAPE, latent_dim=4, num_classes=num_classes)
    labels = None if num_classes is None else [0, 1, 2, 1, 0]
    for count in (5, 1, 3):
        model.generate(
            num_images=count,
            seed=0,
            labels=None if labels is None else labels[:count],
        )
    assert (
        model._compiled_latent_to_images.experimental_get_tracing_count() == 1
    )


@pytest.mark.parametrize("model_class", [VAE, DCGAN])
def test_a_model_compiled_to_run_eagerly_samples_eagerly(model_class):
    model = model_class(image_shape=SHAPE, latent_dim=4, seed=0)
    z = model.sample_latent(3, seed=1)
    compiled = model.generate(z=z)
    model.compile(run_eagerly=True)
    to_images, seen = model.latent_to_images, []

    def eager_only(z, *args, **kwargs):
        # Reading the values fails on a traced (compiled) tensor.
        seen.append(keras.ops.convert_to_numpy(z).shape)
        return to_images(z, *args, **kwargs)

    model.latent_to_images = eager_only
    np.testing.assert_allclose(model.generate(z=z), compiled, atol=1e-6)
    assert seen == [(3, 4)]


@pytest.mark.parametrize(
    "shape", [(10, 10, 1), (28, 32, 1), (30, 30, 3), (28, 28), "big"]
)
def test_unsupported_image_shape_is_a_clear_error(shape):
    with pytest.raises(ValueError, match="image_shape"):
        VAE(image_shape=shape)


def test_spatial_plan_of_supported_sizes():
    assert networks.spatial_plan((28, 28, 1)) == ((28, 28, 1), 7, 7, 2)
    assert networks.spatial_plan((32, 32, 3)) == ((32, 32, 3), 4, 4, 3)
    assert networks.spatial_plan((64, 64, 3)) == ((64, 64, 3), 4, 4, 4)


@pytest.mark.parametrize("name", models.names())
def test_a_model_checks_its_image_shape_once(name, monkeypatch):
    calls = []
    validate = networks.validate_image_shape

    def counted(image_shape):
        calls.append(image_shape)
        return validate(image_shape)

    monkeypatch.setattr(networks, "validate_image_shape", counted)
    model = models.get(name, image_shape=[16, 16, 1], filters=16)
    assert calls == [[16, 16, 1]]
    assert model.image_shape == (16, 16, 1)


@pytest.mark.parametrize("model_class", [VAE, DCGAN])
def test_generate_rejects_bad_latents(model_class):
    model = model_class(image_shape=SHAPE, latent_dim=4)
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        model.generate(z=np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="floating point"):
        model.generate(z=np.zeros((2, 4), "int32"))
    with pytest.raises(ValueError, match="num_images"):
        model.generate()
    with pytest.raises(ValueError, match="num_images"):
        model.generate(num_images=0)
    with pytest.raises(ValueError, match="latent_dim"):
        model_class(image_shape=SHAPE, latent_dim=0)


# === VAE ===


def test_vae_kl_is_analytic_and_beta_scales_it():
    vae = VAE(image_shape=SHAPE, latent_dim=4, beta=3.0, seed=0)
    images = blob_images(8)
    loss, reconstruction, kl = (float(v) for v in vae.compute_losses(images))
    z_mean, z_log_var = vae.encode(images)
    expected_kl = np.mean(
        -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    )
    assert kl > 0.0
    np.testing.assert_allclose(kl, expected_kl, rtol=1e-4)
    np.testing.assert_allclose(loss, reconstruction + 3.0 * kl, rtol=1e-5)


def test_vae_reconstruction_loss_is_summed_over_pixels():
    vae = VAE(image_shape=SHAPE, latent_dim=4, reconstruction_loss="mse")
    images = blob_images(4)
    _, reconstruction, _ = vae.compute_losses(images)
    # An untrained decoder outputs about 0.5 everywhere: the summed squared
    # error is of the order of pixels * 0.25, not a per-pixel mean.
    per_pixel = float(reconstruction) / np.prod(SHAPE)
    assert 0.1 < per_pixel < 0.4
    with pytest.raises(ValueError, match="bce, mse"):
        VAE(image_shape=SHAPE, reconstruction_loss="l1")


@pytest.mark.slow
def test_vae_learns_to_reconstruct():
    images = blob_images(256)
    vae = VAE(image_shape=SHAPE, latent_dim=4, seed=0)
    vae.compile()
    error_before = np.mean((vae.reconstruct(images) - images) ** 2)
    history = vae.fit(images, batch_size=32, epochs=6, verbose=0)
    error_after = np.mean((vae.reconstruct(images) - images) ** 2)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert error_after < 0.5 * error_before
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert all(v > 0 for v in history.history["kl_loss"])


def test_vae_encode_decode_reconstruct_shapes():
    vae = VAE(image_shape=SHAPE, latent_dim=3, seed=0)
    images = blob_images(5)
    z_mean, z_log_var = vae.encode(images)
    assert z_mean.shape == z_log_var.shape == (5, 3)
    decoded = vae.decode(z_mean)
    np.testing.assert_allclose(vae.reconstruct(images), decoded, atol=1e-6)
    assert decoded.shape == (5,) + SHAPE
    with pytest.raises(ValueError, match=r"\(batch, 16, 16, 1\)"):
        vae.encode(images[..., 0])
    with pytest.raises(ValueError, match="divide uint8"):
        vae.reconstruct((images * 255).astype("uint8"))


# === DCGAN ===


@pytest.mark.slow
def test_discriminator_learns_real_from_fake():
    """With the generator frozen, D must call real images real."""
    images = blob_images(128)
    gan = DCGAN(image_shape=SHAPE, latent_dim=8, filters=8, seed=0)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0))
    history = gan.fit(images, batch_size=32, epochs=8, verbose=0)
    assert history.history["d_loss"][-1] < 0.5 * history.history["d_loss"][0]
    # Batch statistics, as in training: 32 steps are too few for the
    # BatchNorm moving averages to settle.
    real_prob = keras.ops.sigmoid(
        gan.discriminator(images * 2 - 1, training=True)
    )
    fake = gan.generator(gan.sample_latent(128, seed=3), training=True)
    fake_prob = keras.ops.sigmoid(gan.discriminator(fake, training=True))
    assert float(np.mean(real_prob)) > 0.8
    assert float(np.mean(fake_prob)) < 0.2
    assert history.history["real_accuracy"][-1] > 0.9
    assert history.history["fake_accuracy"][-1] > 0.9


@pytest.mark.slow
def test_generator_learns_to_fool_a_fixed_discriminator():
    """With D frozen, the non-saturating loss must lower g_loss."""
    images = blob_images(128)
    gan = DCGAN(image_shape=SHAPE, latent_dim=8, filters=8, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0))
    history = gan.fit(images, batch_size=32, epochs=6, verbose=0)
    g_loss = history.history["g_loss"]
    assert g_loss[-1] < 0.5 * g_loss[0]
    assert set(history.history) == {
        "d_loss",
        "g_loss",
        "real_accuracy",
        "fake_accuracy",
    }


def test_dcgan_default_optimizers_follow_the_paper():
    gan = DCGAN(image_shape=SHAPE, latent_dim=8)
    gan.compile()
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert float(optimizer.beta_1) == pytest.approx(0.5)
    assert gan.d_optimizer is not gan.g_optimizer


def test_gan_compile_takes_keras_optimizer_argument_as_the_generators():
    optimizer = keras.optimizers.Adam(1e-3)
    gan = DCGAN(image_shape=SHAPE, latent_dim=8)
    gan.compile(optimizer=optimizer, jit_compile=False)
    assert gan.g_optimizer is optimizer
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(2e-4)


def test_dcgan_discriminator_has_no_batchnorm_after_first_layer():
    disc = networks.build_dcgan_discriminator((32, 32, 3))
    kinds = [type(layer).__name__ for layer in disc.layers]
    first_conv = kinds.index("Conv2D")
    assert kinds[first_conv + 1] == "LeakyReLU"
    norms = [
        layer
        for layer in disc.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(norms) == kinds.count("Conv2D") - 1
    gen = networks.build_dcgan_generator((32, 32, 3), 8)
    assert any(
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in gen.layers
    )


# === Both: fit conventions, validation, saving ===


@pytest.mark.slow
@pytest.mark.parametrize("model_class", [VAE, DCGAN])
def test_fit_accepts_labelled_batches_and_validation_data(model_class):
    import tensorflow as tf

    images = blob_images(64)
    labels = np.arange(64) % 3
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)
    model = model_class(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    model.compile()
    history = model.fit(data, validation_data=data, epochs=1, verbose=0)
    names = {m.name for m in model.metrics}
    assert set(history.history) == names | {f"val_{n}" for n in names}
    assert all(np.isfinite(v[0]) for v in history.history.values())


def test_dcgan_compile_config_round_trip(tmp_path):
    gan = DCGAN(image_shape=SHAPE, latent_dim=4, filters=8)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.3),
        g_optimizer=keras.optimizers.RMSprop(5e-4),
    )
    loaded = assert_save_load_round_trip(gan, tmp_path)
    assert float(loaded.d_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(loaded.d_optimizer.beta_1) == pytest.approx(0.3)
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)
    assert float(loaded.g_optimizer.learning_rate) == pytest.approx(5e-4)


def test_jit_compile_is_kept_on_its_backend_and_resolved_again_elsewhere():
    def compiled_from(config):
        gan = DCGAN(image_shape=SHAPE, latent_dim=4, filters=8)
        gan.compile_from_config(config)
        return gan.jit_compile

    gan = DCGAN(image_shape=SHAPE, latent_dim=4, filters=8)
    gan.compile()
    auto = gan.jit_compile
    gan.compile(jit_compile=not auto)
    config = gan.get_compile_config()
    here = keras.backend.backend()
    assert config["saved_on"] == here
    assert compiled_from(config) is (not auto)
    other = "torch" if here != "torch" else "jax"
    assert compiled_from({**config, "saved_on": other}) is auto
    # Files saved before the backend was recorded: "auto" too.
    del config["saved_on"]
    assert compiled_from(config) is auto


@pytest.mark.parametrize(
    "model_class,kwargs",
    [
        (VAE, {"beta": 4.0, "reconstruction_loss": "mse", "filters": 8}),
        (DCGAN, {"label_smoothing": 0.1, "filters": 8}),
    ],
)
def test_config_round_trip(model_class, kwargs):
    model = model_class(image_shape=SHAPE, latent_dim=5, seed=3, **kwargs)
    config = model.get_config()
    clone = model_class.from_config(config)
    assert clone.get_config() == config
    for key, value in kwargs.items():
        assert getattr(clone, key) == value
    # And through Keras' generic serialization.
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model)
    )
    assert type(revived) is model_class
    assert revived.get_config() == config


@pytest.mark.parametrize(
    "build",
    [
        lambda: networks.build_dcgan_generator(SHAPE, 4, 8),
        lambda: networks.build_dcgan_discriminator(SHAPE, 8),
        lambda: networks.build_vae_encoder(SHAPE, 4, 8),
        lambda: networks.build_vae_decoder(SHAPE, 4, 8),
    ],
)
def test_network_config_round_trip(build):
    network = build()
    clone = keras.Model.from_config(network.get_config())
    assert clone.get_config() == network.get_config()
    clone.set_weights(network.get_weights())
    inputs = np.random.default_rng(0).random(
        (2,) + tuple(network.input_shape[1:]), "float32"
    )

    def flat(outputs):
        to_numpy = keras.ops.convert_to_numpy
        return np.concatenate(
            [to_numpy(o).ravel() for o in keras.tree.flatten(outputs)]
        )

    np.testing.assert_allclose(
        flat(network(inputs)), flat(clone(inputs)), rtol=1e-6
    )


def test_registry():
    assert {"dcgan", "vae"} <= set(models.names())
    assert models.names() == sorted(models.names())
    model = models.get("dcgan", image_shape=SHAPE, latent_dim=4)
    assert isinstance(model, DCGAN) and model.latent_dim == 4
    expected = "Expected one of: " + ", ".join(models.names())
    with pytest.raises(ValueError, match=expected):
        models.get("stylegan")


def test_each_model_says_what_kind_it_is():
    # The tools read these attributes, never probe for methods.
    kinds = {
        name: (
            models.entry(name).model_class.is_autoencoder,
            models.entry(name).model_class.is_diffusion,
        )
        for name in models.names()
    }
    assert [n for n, (auto, _) in kinds.items() if auto] == ["cvae", "vae"]
    assert [n for n, (_, diffusion) in kinds.items() if diffusion] == ["ddpm"]


@pytest.mark.slow
def test_importing_the_package_registers_models_for_load_model(tmp_path):
    import subprocess
    import sys

    model = VAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    model.save(tmp_path / "vae.keras")
    script = (
        "import keras, keras_genimg, sys\n"
        "model = keras.models.load_model(sys.argv[1])\n"
        "print(type(model).__name__, model.latent_dim)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "vae.keras")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["VAE", "4"]


def test_trial_limits_cap_every_fit(monkeypatch):
    monkeypatch.setenv("GENIMG_MAX_EPOCHS", "1")
    monkeypatch.setenv("GENIMG_MAX_STEPS", "2")
    vae = VAE(image_shape=SHAPE, latent_dim=2, filters=8)
    vae.compile()
    history = vae.fit(blob_images(64), batch_size=8, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 1
    assert int(vae.optimizer.iterations) == 2
    monkeypatch.setenv("GENIMG_MAX_STEPS", "0")
    with pytest.raises(ValueError, match="GENIMG_MAX_STEPS must be a positive"):
        vae.fit(blob_images(8), epochs=1, verbose=0)
