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
