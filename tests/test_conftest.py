"""The suite's own setup: the backend its tests run on."""

import os
import subprocess
import sys
from pathlib import Path

import keras

ROOT = Path(__file__).resolve().parents[1]


def test_this_process_runs_on_tensorflow():
    assert keras.backend.backend() == "tensorflow"


def test_a_keras_backend_in_the_shell_is_set_aside():
    # A JAX user's shell: the README's test command still runs the
    # TensorFlow tests on TensorFlow, and says so.
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         f"{__file__}::test_this_process_runs_on_tensorflow"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed" in result.stdout
    assert "(KERAS_BACKEND=jax set aside)" in result.stdout
