"""The tables of bad inputs: their categories, how a case is written, and
every area's table collected.

Each area keeps its table beside its tests, in `tests/<area>/bad_inputs.py`
as `CASES = [...]` built with `api` and `cli`; `test_bad_inputs.py` here
runs every case of every table, and checks that the README's count is
their sum. `python -m tests.bad_inputs` prints the README's sentence.
"""

import importlib

import numpy as np
import pytest

from tests import model_checks

# The sizes of the session's tiny models, which the cases use.
SHAPE = model_checks.SHAPE
LATENT_DIM = model_checks.LATENT_DIM
NUM_CLASSES = model_checks.NUM_CLASSES

CATEGORIES = (
    "image shape, rank or dtype",
    "zero or negative size",
    "label out of range",
    "unknown name",
    "unreadable, truncated or empty file",
    ".keras file of another model",
    "SavedModel without variables",
    "export target exists",
    "damaged model file or export",
    "output path that cannot be written",
    "argument of the wrong type or out of range",
    "serving request of the wrong width",
)
(IMAGES, SIZE, LABELS, NAMES, FILES, OTHER, NO_VARS, EXISTS, DAMAGED, OUTPUT,
 ARGUMENT, SERVING) = CATEGORIES  # fmt: skip

# The packages of `tests/` that hold a table, in the order they run.
AREAS = ("models", "data", "callbacks", "metrics", "export", "serving", "cli")


def api(name, category, call, error, match):
    """A Python API case: `call(env)` raises exactly `error`."""
    return pytest.param("api", category, call, error, match, id=f"api-{name}")


def cli(name, category, argv, match, marks=()):
    """A command-line case: `genimg *argv(env)` exits 2 with one line."""
    return pytest.param(
        "cli",
        category,
        argv,
        SystemExit,
        match,
        id=f"cli-{name}",
        marks=marks,
    )


def zeros(*shape, dtype="float32"):
    return np.zeros(shape, dtype)


def labelled():
    """Eight random images of `SHAPE`, for the labelled models."""
    return np.random.default_rng(0).random((8, *SHAPE), "float32")


def all_cases():
    """Every area's table, one after the other."""
    return [
        case
        for area in AREAS
        for case in importlib.import_module(f"tests.{area}.bad_inputs").CASES
    ]


def readme_sentence():
    """The README's count, as the tables make it."""
    return f"{len(all_cases())} bad inputs tried"
