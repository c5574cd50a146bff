"""Shared fixtures."""

from pathlib import Path

import pytest

from tests import model_checks

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

    `tests/docs/test_readme.py` runs the README's blocks, and
    `tests/backends/test_backends.py` trains every model on every backend, in
    processes of their own; started now, they run beside the rest of the
    suite instead of after it.
    """
    for name, needs, start in (
        ("test_readme.py", "outcomes", "start_tour"),
        ("test_backends.py", "results", "start_runs"),
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
    steps (`model_checks.train`). Tests share them, so they must not
    change them: copy a model (or build one) to train or recompile it.
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
