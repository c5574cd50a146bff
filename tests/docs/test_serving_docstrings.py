"""The Example blocks of the export and serving docstrings run as shown."""

import doctest

import pytest

from keras_genimg.export import (
    latents,
    serving_config,
    signatures,
    verify,
    versions,
)
from keras_genimg.serving import errors, rest, signature_table, validation


@pytest.mark.parametrize(
    "module",
    [
        latents,
        serving_config,
        signatures,
        verify,
        versions,
        errors,
        rest,
        signature_table,
        validation,
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
