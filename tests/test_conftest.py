"""The suite's own setup: the backend its tests run on."""

import os
import subprocess
import sys
from pathlib import Path

import keras

ROOT = Path(__file__).resolve().parents[1]


def test_this_process_runs_on_the_test_backend():
    expected = os.environ.get("KERAS_GENIMG_TEST_BACKEND", "tensorflow")
    assert keras.backend.backend() == expected


def run_the_backend_test(**env):
    """Runs the test above in a pytest process with `env` added."""
    environment = {**os.environ, **env}
    if "KERAS_GENIMG_TEST_BACKEND" not in env:
        environment.pop("KERAS_GENIMG_TEST_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         f"{__file__}::test_this_process_runs_on_the_test_backend"],
        cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_a_keras_backend_in_the_shell_is_set_aside():
    # A JAX user's shell: the README's test command still runs the
    # TensorFlow tests on TensorFlow, and says so.
    result = run_the_backend_test(KERAS_BACKEND="jax")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed" in result.stdout
    assert "keras backend: tensorflow in this process" in result.stdout
    assert "(KERAS_BACKEND=jax set aside)" in result.stdout


def test_the_test_backend_is_chosen_by_its_own_variable():
    result = run_the_backend_test(KERAS_GENIMG_TEST_BACKEND="torch")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed" in result.stdout
    assert "keras backend: torch in this process" in result.stdout
