"""The Example blocks in the package's docstrings run and print what they
say: every module of `keras_genimg` that has one, found, not listed, so a
new module's examples run too."""

import doctest
import importlib
import pkgutil

import keras
import pytest

import keras_genimg

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


# The plumbing of the backends this process does not run on.
OTHER_BACKENDS = {
    f"keras_genimg.models.backend.{module}"
    for module, name in (
        ("jax", "jax"),
        ("tensorflow", "tensorflow"),
        ("torch", "torch"),
        ("torch_layers", "torch"),
    )
    if name != keras.backend.backend()
}


def modules_with_examples():
    """The names of the package's modules whose docstrings hold examples
    that run (by name: the package's functions `inception_score` and
    `mix` hide the modules of the same names)."""
    finder = doctest.DocTestFinder()
    names = []
    for info in pkgutil.walk_packages(keras_genimg.__path__, "keras_genimg."):
        # `__main__` is the command line itself.
        if info.name.endswith(".__main__") or info.name in OTHER_BACKENDS:
            continue
        module = importlib.import_module(info.name)
        if any(
            not example.options.get(doctest.SKIP)
            for test in finder.find(module)
            for example in test.examples
        ):
            names.append(info.name)
    return sorted(names)


MODULES = modules_with_examples()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name in SLOW else [])
        for name in MODULES
    ],
)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


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
    assert not OTHER_BACKENDS & set(MODULES)
