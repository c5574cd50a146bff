"""The Example blocks in the package's docstrings run and print what they
say: every module of `keras_genimg` that has one, found, not listed, so a
new module's examples run too."""

import pytest

from tests.docs.examples import (
    modules_with_examples,
    other_backends,
    run_examples,
)

# Modules whose examples train or sample models (a second or more each):
# left out of the fast subset.
SLOW = {
    "keras_genimg.callbacks.prior_fit",
    "keras_genimg.callbacks.sample_grid",
    "keras_genimg.callbacks.sample_metric",
    "keras_genimg.callbacks.tensorboard_grid",
    "keras_genimg.editing.restoration",
    "keras_genimg.metrics.judge",
    "keras_genimg.models.dcgan",
    "keras_genimg.models.diffusion",
    "keras_genimg.models.vae",
    "keras_genimg.models.wgan_gp",
}


MODULES = modules_with_examples()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name in SLOW else [])
        for name in MODULES
    ],
)
def test_docstring_examples(name):
    failed, attempted = run_examples(name)
    assert attempted > 0
    assert failed == 0


def test_the_modules_with_examples_are_found():
    # A few of every package, and the slow ones named above all exist.
    for name in (
        "keras_genimg.models.activations",
        "keras_genimg.serving.rest",
        "keras_genimg.metrics.kid",
        "keras_genimg.data.errors",
    ):
        assert name in MODULES
    assert SLOW <= set(MODULES)
    assert not other_backends() & set(MODULES)
