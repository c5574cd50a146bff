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
