"""Shared fixtures, and the Keras backend of the tests in this process."""

import os

# The tests in this process run on TensorFlow, the backend that exports
# and serves; `tests/backends` trains every model on JAX, TensorFlow and
# PyTorch, each in processes of its own. Keras fixes its backend when it
# is first imported, so this comes first: a KERAS_BACKEND in the shell
# (or a backend in ~/.keras/keras.json) would run TensorFlow's tests on
# another backend. KERAS_GENIMG_TEST_BACKEND picks another backend for
# the test files written for every backend (e.g. tests/models/
# test_wgan_gp.py).
SET_ASIDE_BACKEND = os.environ.get("KERAS_BACKEND")
TEST_BACKEND = os.environ.get("KERAS_GENIMG_TEST_BACKEND", "tensorflow")
os.environ["KERAS_BACKEND"] = TEST_BACKEND

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import pytest  # noqa: E402

from tests import model_checks  # noqa: E402

if keras.backend.backend() != TEST_BACKEND:
    raise pytest.UsageError(
        f"Keras was imported on {keras.backend.backend()} before "
        f"tests/conftest.py could choose {TEST_BACKEND}; run the tests with "
        "`python -m pytest` and no plugin that imports Keras."
    )


def pytest_report_header(config):
    """Says which backend the tests in this process run on."""
    header = (
        f"keras backend: {TEST_BACKEND} in this process; tests/backends runs "
        "jax, tensorflow and torch in processes of their own"
    )
    if SET_ASIDE_BACKEND not in (None, TEST_BACKEND):
        header += f" (KERAS_BACKEND={SET_ASIDE_BACKEND} set aside)"
    return header


# The real MNIST test split, in a `shared/` folder beside the repository
# when one is there. Tests that use it skip without it.
MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture
def mnist_dir():
    """Path of the real MNIST IDX files; skips the test when absent."""
    if not MNIST_DIR.is_dir():
        pytest.skip(f"no MNIST copy at {MNIST_DIR}")
    return MNIST_DIR


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Runs the README and backend tests last, their processes from the
    start.

    `tests/docs/test_readme.py` runs the README's blocks,
    `tests/backends/test_backends.py` trains every model on every backend,
    and `tests/backends/test_distribute.py` trains on two mirrored CPUs, in
    processes of their own; started now, they run beside the rest of the
    suite instead of after it. `--collect-only` starts nothing.
    """
    if config.option.collectonly:
        return
    for name, needs, start in (
        ("test_readme.py", "outcomes", "start_tour"),
        ("test_backends.py", "results", "start_runs"),
        ("test_distribute.py", "mirrored", "start_checks"),
    ):
        moved = [item for item in items if item.path.name == name]
        if not moved:
            continue
        items[:] = [item for item in items if item not in moved] + moved
        if any(needs in item.fixturenames for item in moved):
            getattr(moved[0].module, start)()


@pytest.fixture(scope="session")
def zoo_model():
    """Tiny zoo models, each built once per session.

    `zoo_model(kind)` is `model_checks.build(kind)`: 16x16x1 images, a
    latent vector of 4, 8 filters, seeded and compiled;
    `zoo_model(kind, trained=True)` is the same model after two training
    steps, run eagerly (`model_checks.train`). Tests share them, so they
    must not change them: copy a model (or build one) to train or
    recompile it.
    """
    cache = {}

    def get(kind, trained=False):
        if (kind, trained) not in cache:
            model = model_checks.build(kind)
            cache[kind, trained] = (
                model_checks.train(model) if trained else model
            )
        return cache[kind, trained]

    return get
