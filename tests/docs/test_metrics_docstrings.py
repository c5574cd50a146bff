"""The Example blocks of the metrics, plots and their callbacks run."""

import doctest
import importlib

import pytest

MODULES = [
    "keras_genimg.metrics.coverage",
    "keras_genimg.metrics.evaluate",
    "keras_genimg.metrics.extractor",
    "keras_genimg.metrics.frechet",
    "keras_genimg.metrics.inception_score",
    "keras_genimg.metrics.judge",
    "keras_genimg.metrics.kid",
    "keras_genimg.metrics.precision_recall",
    "keras_genimg.metrics.reference",
    "keras_genimg.metrics.report",
    "keras_genimg.metrics.statistics",
    "keras_genimg.callbacks.sample_metric",
    "keras_genimg.callbacks.tensorboard_grid",
    "keras_genimg.plots.figure",
    "keras_genimg.plots.history",
    "keras_genimg.plots.latent",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    # By name: the package's functions `inception_score` and
    # `precision_recall` hide the modules of the same names.
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
