"""Shared fixtures."""

from pathlib import Path

import pytest

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
    """Runs the backend tests last, their processes from the start.

    `tests/test_backends.py` trains every model on every backend in
    processes of its own; started now, they run beside the rest of the
    suite instead of after it.
    """
    backends = [item for item in items if item.path.name == "test_backends.py"]
    if not backends:
        return
    items[:] = [item for item in items if item not in backends] + backends
    fixtures = {name for item in backends for name in item.fixturenames}
    if "results" in fixtures:
        backends[0].module.start_runs()
