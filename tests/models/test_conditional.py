"""Tests of the conditional models: DCGAN and VAE with `num_classes` set."""

import os
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops
from PIL import Image

from keras_genimg import models
from keras_genimg.callbacks import SampleGrid, make_grid
from keras_genimg.export import export_saved_model
from keras_genimg.models import (
    DCGAN,
    VAE,
    ConditionalGAN,
    ConditionalVAE,
    backend,
)
from keras_genimg.models import conditional_networks as networks
from keras_genimg.serving import signature_table as tables
from tests.model_checks import assert_save_load_round_trip

SHAPE = (16, 16, 1)
NUM_CLASSES = 3
MODELS = [DCGAN, VAE]
LEGACY_FILES = Path(__file__).parent / "legacy_files"
# One square per image, its place given by the class, jittered by a pixel.
CORNERS = [(1, 1), (5, 5), (9, 9)]
SQUARE = 6


def class_blobs(num, seed=0):
    """Labelled data whose class decides where the bright square is."""
    rng = np.random.default_rng(seed)
    labels = np.arange(num) % NUM_CLASSES
    images = np.zeros((num,) + SHAPE, "float32")
    for image, label in zip(images, labels):
        top, left = np.add(CORNERS[label], rng.integers(0, 2, 2))
        image[top : top + SQUARE, left : left + SQUARE] = rng.uniform(0.7, 1.0)
    return images, labels


def tiny(model_class, **kwargs):
    kwargs = {"latent_dim": 4, "filters": 8, "seed": 0, **kwargs}
    return model_class(SHAPE, num_classes=NUM_CLASSES, **kwargs)


def images_by_label(generate):
    """`generate(z, label)` for the same 8 latents and every label:
    an array `(NUM_CLASSES, 8, *SHAPE)`."""
    z = np.random.default_rng(1).standard_normal((8, 4)).astype("float32")
    return np.stack([np.asarray(generate(z, k)) for k in range(NUM_CLASSES)])


def label_and_latent_spread(images):
    """Mean squared distance of images across labels and across latents.

    Args:
        images: the output of `images_by_label`.

    Returns `(same_label, different_labels)`: the distance between images
    of one label drawn from different latents, and between images of
    different labels drawn from the same latent.
    """
    count = images.shape[1]
    images = images.reshape(NUM_CLASSES, count, -1)
    same = (
        np.mean([np.mean((row[:, None] - row[None]) ** 2) for row in images])
        * count
        / (count - 1)
    )
    different = np.mean(
        [
            np.mean((images[a] - images[b]) ** 2)
            for a in range(NUM_CLASSES)
            for b in range(NUM_CLASSES)
            if a != b
        ]
    )
    return same, different


def asked_class_fraction(images):
    """How often, over `images_by_label`'s images, the brightest of the
    classes' square places (`CORNERS`, jitter included) is the asked
    label's: about 1/3 for images that ignore the label."""
    size = SQUARE + 1
    brightness = np.stack(
        [
            images[:, :, top : top + size, left : left + size].mean(
                axis=(2, 3, 4)
            )
            for top, left in CORNERS
        ]
    )  # (place, label, latent)
    asked = np.arange(NUM_CLASSES)[:, None]
    return np.mean(np.argmax(brightness, axis=0) == asked)


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


# === Networks ===


def test_label_maps_are_one_constant_map_per_class():
    features = np.random.default_rng(0).random((4, 5, 6, 2), "float32")
    labels = np.array([0, 2, 1, 2])
    maps = ops.convert_to_numpy(networks.LabelMaps(3)([features, labels]))
    assert maps.shape == (4, 5, 6, 5)
    np.testing.assert_array_equal(maps[..., :2], features)
    for image, label in zip(maps, labels):
        for k in range(3):
            # The whole map is constant: 1 for the image's class, else 0.
            np.testing.assert_array_equal(image[..., 2 + k], float(k == label))
    layer = networks.LabelMaps(3, name="maps")
    clone = networks.LabelMaps.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_projection_discriminator_projects_the_label_on_the_features():
    disc = networks.build_projection_discriminator(SHAPE, NUM_CLASSES, 8)
    images = class_blobs(4)[0] * 2 - 1
    features = keras.Model(disc.inputs[0], disc.get_layer("features").output)
    h = ops.convert_to_numpy(features(images))
    embeddings = ops.convert_to_numpy(
        disc.get_layer("class_embedding").embeddings
    )
    logits = [
        ops.convert_to_numpy(disc([images, np.full(4, k)]))[:, 0]
        for k in range(NUM_CLASSES)
    ]
    # The label moves the logit by exactly embed(y) . h.
    for k in (1, 2):
        expected = h @ (embeddings[k] - embeddings[0])
        np.testing.assert_allclose(
            logits[k] - logits[0], expected, rtol=1e-4, atol=1e-5
        )


@pytest.mark.parametrize(
    "options, shapes",
    [
        ({"axes": 1}, [(5, 7), (5, 7)]),  # the elementwise form
        ({"axes": -1}, [(5, 7), (5, 7)]),
        ({"axes": 1, "normalize": True}, [(5, 7), (5, 7)]),  # Keras' layer
        ({"axes": 2}, [(5, 3, 7), (5, 4, 7)]),
    ],
)
def test_dot_equals_keras_dot(options, shapes):
    rng = np.random.default_rng(0)
    a, b = (
        ops.convert_to_tensor(rng.normal(size=s), "float32") for s in shapes
    )

    def value_and_gradients(layer):
        def loss_of(a, b):
            y = layer([a, b])
            return ops.sum(y * ops.sin(y)), y

        (_, y), grad_a = backend.value_and_input_grad(
            lambda a: loss_of(a, b), a
        )
        _, grad_b = backend.value_and_input_grad(lambda b: loss_of(a, b), b)
        return [ops.convert_to_numpy(t) for t in (y, grad_a, grad_b)]

    ours = value_and_gradients(networks.Dot(**options))
    keras_own = value_and_gradients(keras.layers.Dot(**options))
    for got, expected in zip(ours, keras_own):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert type(networks.Dot(**options)).__name__ == "Dot"


def test_projection_discriminator_uses_the_zoo_dot():
    disc = networks.build_projection_discriminator(SHAPE, 3, 8)
    assert type(disc.get_layer("projection")) is networks.Dot


@pytest.mark.parametrize(
    "build",
    [
        lambda: networks.build_conditional_generator(SHAPE, 4, 3, 8),
        lambda: networks.build_projection_discriminator(SHAPE, 3, 8),
        lambda: networks.build_conditional_encoder(SHAPE, 4, 3, 8),
        lambda: networks.build_conditional_decoder(SHAPE, 4, 3, 8),
    ],
)
def test_network_config_round_trip(build):
    network = build()
    clone = keras.Model.from_config(network.get_config())
    assert clone.get_config() == network.get_config()
    clone.set_weights(network.get_weights())
    rng = np.random.default_rng(0)
    first = rng.random((2,) + tuple(network.inputs[0].shape[1:]), "float32")
    inputs = [first, np.array([0, 2], "int32")]
    for out, cloned in zip(
        keras.tree.flatten(network(inputs)), keras.tree.flatten(clone(inputs))
    ):
        np.testing.assert_allclose(
            ops.convert_to_numpy(out), ops.convert_to_numpy(cloned), rtol=1e-6
        )


# === Sampling ===


@pytest.mark.parametrize("model_class", MODELS)
def test_generate_shape_range_and_labels(model_class):
    model = tiny(model_class)
    images = model.generate(num_images=5, seed=1)
    assert images.shape == (5,) + SHAPE and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    # Without labels, the classes take turns.
    np.testing.assert_allclose(
        images, model.generate(5, seed=1, labels=[0, 1, 2, 0, 1]), atol=1e-6
    )
    z = model.sample_latent(4, seed=2)
    np.testing.assert_allclose(
        model.generate(z=z, labels=2), model.generate(z=z, labels=[2] * 4)
    )
    np.testing.assert_allclose(
        model.generate(z=z, labels=[0, 1, 2, 1], batch_size=3),
        model.generate(z=z, labels=[0, 1, 2, 1]),
        atol=1e-6,
    )
    # A list of labels alone says how many images: one per label.
    np.testing.assert_allclose(
        model.generate(labels=[2, 2, 0], seed=3),
        model.generate(3, seed=3, labels=[2, 2, 0]),
    )
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.generate(z=z, labels=3)
    with pytest.raises(ValueError, match="Pass `num_images`, `z` or"):
        model.generate(labels=1)
    with pytest.raises(ValueError, match="one per image"):
        model.generate(z=z, labels=[0, 1])
    with pytest.raises(ValueError, match="one per image"):
        model.generate(z=z, labels=[0.0, 1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="num_classes"):
        model_class(SHAPE, num_classes=1)


@pytest.mark.parametrize("model_class", MODELS)
def test_training_without_labels_is_a_clear_error(model_class):
    model = tiny(model_class)
    model.compile()
    with pytest.raises(ValueError, match="labelled data"):
        model.fit(class_blobs(8)[0], batch_size=8, verbose=0)


# === ConditionalGAN ===


def test_adam_moves_each_class_embedding_row_at_most_its_learning_rate():
    # A batch looks each class's row up many times. Adam's first step
    # moves every weight by at most the learning rate; on TensorFlow the
    # embedding's gradient comes as one slice per lookup, which Keras'
    # Adam took as separate gradients (3.5x the learning rate here) until
    # the rows were summed first, as JAX and PyTorch have them.
    images, labels = class_blobs(32)
    gan = tiny(DCGAN)
    learning_rate = 2e-4
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate),
                g_optimizer=keras.optimizers.SGD(0.0))  # fmt: skip
    embeddings = gan.discriminator.get_layer("class_embedding").embeddings
    before = ops.convert_to_numpy(embeddings)
    gan.train_on_batch(images, labels)
    moved = np.abs(ops.convert_to_numpy(embeddings) - before).max()
    assert 0.5 * learning_rate < moved <= 1.001 * learning_rate


@pytest.mark.slow
def test_cgan_discriminator_learns_with_a_frozen_generator():
    images, labels = class_blobs(96)
    gan = tiny(DCGAN)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0))
    history = gan.fit(images, labels, batch_size=32, epochs=12, verbose=0)
    d_loss = history.history["d_loss"]
    assert d_loss[-1] < 0.5 * d_loss[0]
    assert history.history["real_accuracy"][-1] > 0.9
    assert history.history["fake_accuracy"][-1] > 0.9


@pytest.mark.slow
def test_cgan_generator_learns_against_a_frozen_discriminator():
    images, labels = class_blobs(96)
    gan = tiny(DCGAN)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0))
    history = gan.fit(images, labels, batch_size=32, epochs=6, verbose=0)
    g_loss = history.history["g_loss"]
    assert g_loss[-1] < 0.5 * g_loss[0]
    assert all(np.isfinite(v).all() for v in history.history.values())


@pytest.mark.slow
def test_cgan_label_controls_the_output():
    images, labels = class_blobs(192)
    gan = tiny(DCGAN)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    gan.fit(images, labels, batch_size=16, epochs=8, verbose=0)
    images = images_by_label(lambda z, k: gan.generate(z=z, labels=k))
    same, different = label_and_latent_spread(images)
    assert different > same
    assert asked_class_fraction(images) >= 0.75


# === ConditionalVAE ===


@pytest.mark.slow
def test_cvae_learns_and_label_controls_the_output():
    images, labels = class_blobs(192)
    cvae = tiny(VAE)
    cvae.compile(optimizer=keras.optimizers.Adam(5e-3))
    error_before = np.mean((cvae.reconstruct(images, labels) - images) ** 2)
    history = cvae.fit(images, labels, batch_size=32, epochs=9, verbose=0)
    error_after = np.mean((cvae.reconstruct(images, labels) - images) ** 2)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert error_after < 0.5 * error_before
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    # Over 32 seeds on each backend the asked class came out 0.97-0.99 of
    # the time on average (0.83 the lowest of 8 seeds each); the spread
    # across labels was 1.7 to 100 times that across latents, so the
    # spread alone cannot tell a weak label from chance.
    images = images_by_label(lambda z, k: cvae.decode(z, labels=k))
    same, different = label_and_latent_spread(images)
    assert different > same
    assert asked_class_fraction(images) >= 0.75


def test_cvae_encode_is_the_analytic_kl_of_its_posterior():
    cvae = tiny(VAE, beta=2.0)
    images, labels = class_blobs(6)
    loss, reconstruction, kl = (
        float(v) for v in cvae.compute_losses(images, labels)
    )
    z_mean, z_log_var = cvae.encode(images, labels)
    assert z_mean.shape == z_log_var.shape == (6, 4)
    expected = np.mean(
        -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
    )
    np.testing.assert_allclose(kl, expected, rtol=1e-4)
    np.testing.assert_allclose(loss, reconstruction + 2.0 * kl, rtol=1e-5)
    np.testing.assert_allclose(
        cvae.reconstruct(images, labels),
        cvae.decode(z_mean, labels),
        atol=1e-6,
    )
    # The encoder sees the label.
    other, _ = cvae.encode(images, (labels + 1) % NUM_CLASSES)
    assert not np.allclose(other, z_mean)


# === Saving, callbacks, export, precision ===


# Saving and loading the conditional models with their optimizers, and
# training on, are checked on every backend with the rest of the backend
# matrix (tests/backends/test_backends.py, `cgan` and `cvae`).


@pytest.mark.parametrize(
    "model_class,kwargs",
    [
        (DCGAN, {"label_smoothing": 0.1, "filters": 8}),
        (VAE, {"beta": 4.0, "reconstruction_loss": "mse"}),
    ],
)
def test_config_round_trip(model_class, kwargs):
    model = model_class(SHAPE, num_classes=4, latent_dim=5, seed=3, **kwargs)
    config = model.get_config()
    clone = model_class.from_config(config)
    assert clone.get_config() == config
    assert clone.num_classes == 4
    for key, value in kwargs.items():
        assert getattr(clone, key) == value
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(model)
    )
    assert type(revived) is model_class
    assert revived.get_config() == config


def test_cgan_compile_config_round_trip(tmp_path):
    gan = tiny(DCGAN)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.3),
        g_optimizer=keras.optimizers.RMSprop(5e-4),
    )
    loaded = assert_save_load_round_trip(gan, tmp_path)
    assert float(loaded.d_optimizer.beta_1) == pytest.approx(0.3)
    assert isinstance(loaded.g_optimizer, keras.optimizers.RMSprop)


def test_registry_builds_the_conditional_models():
    assert {"cgan", "cvae"} <= set(models.names())
    gan = models.get("cgan", image_shape=SHAPE, num_classes=3, latent_dim=4)
    assert isinstance(gan, DCGAN) and gan.num_classes == 3
    cvae = models.get("cvae", image_shape=SHAPE)
    assert isinstance(cvae, VAE) and cvae.num_classes == 10
    assert models.get("dcgan", image_shape=SHAPE).num_classes is None


@pytest.mark.parametrize(
    "old_name,model_class",
    [(ConditionalGAN, DCGAN), (ConditionalVAE, VAE)],
)
def test_old_names_build_the_one_class(old_name, model_class):
    model = old_name(SHAPE, num_classes=4, latent_dim=3, filters=8)
    assert type(model) is model_class and model.num_classes == 4
    assert old_name(SHAPE, filters=8).num_classes == 10


@pytest.mark.slow
@pytest.mark.parametrize(
    "stem,model_class",
    [("conditional_gan", DCGAN), ("conditional_vae", VAE)],
)
def test_files_saved_as_the_old_classes_still_load(stem, model_class):
    # Saved by ConditionalGAN / ConditionalVAE before they became
    # DCGAN / VAE with num_classes; generated from z, labels [0, 1, 2].
    loaded = keras.models.load_model(LEGACY_FILES / f"legacy_{stem}.keras")
    assert type(loaded) is model_class and loaded.num_classes == 3
    z = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    expected = np.load(LEGACY_FILES / f"legacy_{stem}_generated.npy")
    np.testing.assert_allclose(
        loaded.generate(z=z, labels=[0, 1, 2]), expected, atol=1e-6
    )
    assert int(loaded.optimizer.iterations) == 2
    images, labels = class_blobs(32)
    loaded.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert int(loaded.optimizer.iterations) == 4


def test_sample_grid_has_one_row_per_class(tmp_path):
    model = tiny(VAE)
    images, labels = class_blobs(4)
    grid = SampleGrid(
        tmp_path,
        num_images=7,
        seed=5,
        reconstruction_images=images,
        reconstruction_labels=labels,
    )
    grid.set_model(model)
    grid.on_train_begin()
    paths = grid.write(1)
    assert [os.path.basename(p) for p in paths] == [
        "epoch_0001.png",
        "reconstructions_epoch_0001.png",
    ]
    with Image.open(paths[0]) as png:
        pixels = np.asarray(png, "float32") / 255.0
    # 3 classes x (7 // 3 = 2) columns, the same two latents in each row.
    z = model.sample_latent(2, seed=5)
    rows = [model.generate(z=z, labels=k) for k in range(NUM_CLASSES)]
    expected = make_grid(np.concatenate(rows), num_columns=2)[..., 0]
    assert pixels.shape == expected.shape == (3 * 16 + 4, 2 * 16 + 3)
    np.testing.assert_allclose(pixels, expected, atol=1 / 255)


@pytest.mark.slow
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="exports run on TensorFlow (from other backends, `genimg "
    "export` re-opens the file there: tests/backends)",
)
def test_conditional_export_takes_a_label(tmp_path):
    import tensorflow as tf

    model = tiny(VAE)
    model.compile()
    path = export_saved_model(model, tmp_path / "cvae", warmup=False)
    table = tables.from_saved_model(path)
    assert sorted(table) == [
        "decode",
        "denoise",
        "encode",
        "inpaint",
        "reconstruct",
        "sample",
        "serving_default",
    ]
    assert sorted(table["encode"]["inputs"]) == ["images", "label"]
    assert sorted(table["inpaint"]["inputs"]) == ["images", "label", "mask"]
    assert sorted(table["serving_default"]["inputs"]) == ["label", "z"]
    assert sorted(table["sample"]["inputs"]) == ["label", "seed"]
    decode = tf.saved_model.load(path).signatures["serving_default"]
    z, labels = model.sample_latent(3, seed=0), np.array([2, 0, 1], "int32")
    served = decode(z=tf.constant(z), label=tf.constant(labels))["images"]
    np.testing.assert_allclose(
        served.numpy(), model.generate(z=z, labels=labels), atol=1e-5
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="label >= 3"):
        decode(z=tf.constant(z), label=tf.constant([3, 0, 0]))
    # Without labels, the export draws the classes in turn, as the model
    # does (what `genimg eval` and `genimg sample` rely on).
    from keras_genimg.export import generate_from_seeds, open_generator

    with open_generator(path) as generator:
        assert generator.num_classes == 3
        np.testing.assert_allclose(
            generator.sample(np.arange(5)),
            generate_from_seeds(model, np.arange(5)),
            atol=1e-5,
        )


@pytest.mark.slow
@pytest.mark.parametrize("model_class", MODELS)
def test_mixed_bfloat16_smoke(model_class, tmp_path):
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = tiny(model_class)
        model.compile()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    images, labels = class_blobs(32)
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    network = model.generator if model_class is DCGAN else model.decoder
    conv = next(
        layer
        for layer in network.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    )
    assert conv.compute_dtype == "bfloat16"
    assert conv.kernel.dtype == "float32"
    generated = model.generate(num_images=3, seed=0)
    assert generated.dtype == np.float32
    assert 0.0 <= generated.min() and generated.max() <= 1.0
