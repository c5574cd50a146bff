"""The Example blocks in the public docstrings run and print what they say."""

import doctest

import pytest

from keras_genimg.callbacks import image_grid, sample_grid
from keras_genimg.models import (
    dcgan,
    generative_model,
    networks,
    registry,
    vae,
)
from keras_genimg.utils import atomic


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
        atomic,
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
