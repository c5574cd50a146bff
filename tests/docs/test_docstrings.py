"""The Example blocks in the public docstrings run and print what they say."""

import doctest
import importlib

import pytest

from keras_genimg.callbacks import image_grid, mode_collapse, sample_grid
from keras_genimg.cli import arguments
from keras_genimg.editing import corruption, inversion, masks, restoration
from keras_genimg.latent import attributes, frames, interpolation, traversal
from keras_genimg.models import (
    conditional_gan,
    conditional_networks,
    conditional_vae,
    convolutions,
    dcgan,
    diff_augment,
    diffusion,
    generative_model,
    networks,
    noise_schedule,
    registry,
    spectral_normalization,
    unet,
    vae,
    weight_average,
    wgan_gp,
)
from keras_genimg.utils import atomic, precision


@pytest.mark.slow
@pytest.mark.parametrize(
    "module",
    [
        vae,
        dcgan,
        generative_model,
        networks,
        registry,
        image_grid,
        sample_grid,
        mode_collapse,
        atomic,
        arguments,
        conditional_gan,
        conditional_vae,
        wgan_gp,
        conditional_networks,
        interpolation,
        traversal,
        attributes,
        frames,
        # The package exports the function `mix` under the module's name.
        importlib.import_module("keras_genimg.data.mix"),
        importlib.import_module("keras_genimg.models.backend.tensorflow"),
        importlib.import_module("keras_genimg.models.backend.direct_calls"),
        importlib.import_module("keras_genimg.models.backend.xla_flags"),
        convolutions,
        diff_augment,
        spectral_normalization,
        weight_average,
        precision,
        diffusion,
        noise_schedule,
        unet,
        corruption,
        inversion,
        masks,
        restoration,
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
