"""Checks shared by the tests of every zoo model."""

import keras
import numpy as np

from keras_genimg import models

SHAPE = (16, 16, 1)
LATENT_DIM = 4
NUM_CLASSES = 3


def build(kind, **kwargs):
    """A tiny compiled zoo model of `kind`, with seeded weights."""
    keras.utils.set_random_seed(0)
    options = {"image_shape": SHAPE, "filters": 8, "seed": 0}
    if models.entry(kind).latent_dim is not None:
        options["latent_dim"] = LATENT_DIM
    if models.entry(kind).conditional:
        options["num_classes"] = NUM_CLASSES
    if kind == "ddpm":
        # One level of 16 channels, as `tests/models/test_diffusion.tiny`.
        options.update(
            filters=16, channel_multipliers=(1,), timesteps=20, sampling_steps=4
        )
    model = models.get(kind, **{**options, **kwargs})
    model.compile()
    return model


def train(model, steps=2, batch_size=8):
    """Trains `model` for `steps` steps on seeded random images (and
    labels, for a conditional model); returns it.

    The steps run eagerly (`run_eagerly` stays True on the model): tracing
    a tiny model's step costs TensorFlow several times what two eager
    steps do. The models' own test files and the backend matrix train
    them compiled.
    """
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    num = steps * batch_size
    if isinstance(model, models.WGANGP):
        # WGANGP splits a batch into n_critic critic batches.
        num *= model.n_critic
        batch_size *= model.n_critic
    images = rng.random((num, *model.image_shape), "float32")
    labels = (
        (np.arange(num) % model.num_classes,) if model.is_conditional else ()
    )
    model.run_eagerly = True
    model.fit(images, *labels, batch_size=batch_size, epochs=1, verbose=0)
    return model


def assert_save_load_round_trip(
    model, tmp_path, *, atol=1e-6, rtol=1e-7, **generate_kwargs
):
    """Saves `model` to a `.keras` file, loads it back and checks the copy.

    The copy must be of the same class, with the same config and every
    weight equal, and must generate the same images from the same seed
    (or `z`, `labels`: `generate_kwargs`, by default 4 images of seed 3).

    Returns:
        The loaded model, for the caller's model-specific checks.
    """
    path = tmp_path / f"{type(model).__name__.lower()}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    saved, reloaded = model.get_weights(), loaded.get_weights()
    assert len(reloaded) == len(saved)
    for a, b in zip(reloaded, saved, strict=True):
        np.testing.assert_array_equal(a, b)
    generate_kwargs = generate_kwargs or {"num_images": 4, "seed": 3}
    np.testing.assert_allclose(
        loaded.generate(**generate_kwargs),
        model.generate(**generate_kwargs),
        atol=atol,
        rtol=rtol,
    )
    return loaded
