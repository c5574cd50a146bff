"""Every zoo model survives a `.keras` file: one check for them all."""

import keras
import numpy as np
import pytest

from keras_genimg import models
from tests.model_checks import assert_save_load_round_trip


def _sngan_keeps_its_loss_and_spectral_norm(model, loaded):
    assert (loaded.loss_name, loaded.spectral_norm) == ("hinge", True)
    x = 2.0 * np.random.default_rng(0).random((4, *model.image_shape)) - 1.0
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.discriminator(x)),
        keras.ops.convert_to_numpy(model.discriminator(x)),
        atol=1e-5,
    )


# What some kinds keep beyond their config, weights and samples.
EXTRA_CHECKS = {"sngan": _sngan_keeps_its_loss_and_spectral_norm}


# The diffusion model trains and samples for seconds: as slow as its own
# saving test in test_diffusion.py.
KINDS = [
    pytest.param(kind, marks=pytest.mark.slow) if kind == "ddpm" else kind
    for kind in models.names()
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_zoo_model_survives_save_and_load(kind, zoo_model, tmp_path):
    model = zoo_model(kind, trained=True)
    loaded = assert_save_load_round_trip(model, tmp_path)
    # The optimizer's state is saved with the weights.
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    assert int(loaded.optimizer.iterations) > 0
    EXTRA_CHECKS.get(kind, lambda model, loaded: None)(model, loaded)


def test_the_check_fails_when_saving_loses_the_weights(
    zoo_model, tmp_path, monkeypatch
):
    model = zoo_model("vae", trained=True)
    # A file that kept the config but not the trained weights.
    monkeypatch.setattr(
        keras.models,
        "load_model",
        lambda path: type(model).from_config(model.get_config()),
    )
    with pytest.raises(AssertionError):
        assert_save_load_round_trip(model, tmp_path)
