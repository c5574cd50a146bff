"""The suite's own setup: the backend its tests run on."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_this_process_runs_on_the_test_backend():
    expected = os.environ.get("KERAS_GENIMG_TEST_BACKEND", "tensorflow")
    assert keras.backend.backend() == expected


def start_the_backend_test(**env):
    """Starts the test above in a pytest process with `env` added."""
    environment = {**os.environ, **env}
    if "KERAS_GENIMG_TEST_BACKEND" not in env:
        environment.pop("KERAS_GENIMG_TEST_BACKEND", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         f"{__file__}::test_this_process_runs_on_the_test_backend"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def backend_test_runs():
    """The test above in two pytest processes, started together (each
    spends its time importing Keras): `{case: (return code, output)}`."""
    started = {
        # A JAX user's shell.
        "shell": start_the_backend_test(KERAS_BACKEND="jax"),
        "own variable": start_the_backend_test(
            KERAS_GENIMG_TEST_BACKEND="torch"
        ),
    }
    outputs = {
        case: process.communicate(timeout=300)[0]
        for case, process in started.items()
    }
    return {
        case: (started[case].returncode, output)
        for case, output in outputs.items()
    }


@pytest.mark.slow
def test_a_keras_backend_in_the_shell_is_set_aside(backend_test_runs):
    # The README's test command still runs the TensorFlow tests on
    # TensorFlow, and says so.
    returncode, output = backend_test_runs["shell"]
    assert returncode == 0, output[-2000:]
    assert "1 passed" in output
    assert "keras backend: tensorflow in this process" in output
    assert "(KERAS_BACKEND=jax set aside)" in output


@pytest.mark.slow
def test_the_test_backend_is_chosen_by_its_own_variable(backend_test_runs):
    returncode, output = backend_test_runs["own variable"]
    assert returncode == 0, output[-2000:]
    assert "1 passed" in output
    assert "keras backend: torch in this process" in output
