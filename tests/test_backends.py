"""Every zoo model on every Keras backend: JAX, TensorFlow and PyTorch.

Keras picks its backend once per process, so `tests/backend_checks/
zoo_steps.py` runs once per backend in a process of its own and writes
what it saw; these tests compare it. A backend whose package is not
installed is skipped (`.ci/run` installs all three).
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.backend_checks.zoo_steps import BACKENDS, MODELS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}
INSTALLED = [b for b in BACKENDS if importlib.util.find_spec(PACKAGES[b])]


def run_on_backends(out, backends, *args):
    """Runs zoo_steps on every backend, two processes at a time."""
    processes = []
    for backend in backends:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, "-m", "tests.backend_checks.zoo_steps",
                   str(out), *args]  # fmt: skip
        processes.append(
            (
                backend,
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )  # fmt: skip
        )
    for backend, process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{backend}:\n{output[-3000:]}"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("backends")
    run_on_backends(out, INSTALLED)
    if len(INSTALLED) > 1:
        run_on_backends(out, INSTALLED, "--load")
    return out


def fit_report(results, backend, name):
    if backend not in INSTALLED:
        pytest.skip(f"{backend} is not installed")
    with open(results / backend / "fit.json") as f:
        return json.load(f)[name]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_model_trains_saves_and_resumes(results, backend, name):
    report = fit_report(results, backend, name)
    steps = report["steps_per_epoch"]
    for values in report["logs"].values():
        assert len(values) == 2 and np.all(np.isfinite(values))
    if name in ("vae", "cvae"):
        assert report["logs"]["loss"][1] < report["logs"]["loss"][0]

    # Both optimizers' iterations advance with every step (the critic's
    # n_critic times per step); a JAX step that dropped the second
    # optimizer's state would leave its counter at 0.
    per_epoch = [steps, steps * 2] if name == "wgan_gp" else None
    per_epoch = per_epoch or [steps] * len(report["before"]["iterations"])
    assert report["before"]["iterations"] == [0] * len(per_epoch)
    assert report["after_one"]["iterations"] == per_epoch
    assert report["after_two"]["iterations"] == [2 * n for n in per_epoch]

    # The seed generator's state advances with every draw: a step that
    # drew the same noise every time would leave it where it started.
    seeds = [report[k]["seed"][1] for k in ("before", "after_one", "after_two")]
    assert seeds[0] < seeds[1] < seeds[2]
    assert seeds[2] - seeds[1] == seeds[1] - seeds[0]
    if name in ("dcgan", "cgan", "wgan_gp"):  # BatchNorm in the generator
        means = [report[k]["moving_mean_sum"]
                 for k in ("before", "after_one", "after_two")]  # fmt: skip
        assert means[0] != means[1] != means[2]

    assert report["generated_equal_after_reload"]
    assert report["optimizer_state_equal_after_reload"]
    # Resumed from the backup of epoch 1: two epochs left, and the
    # optimizers' state came back with the weights.
    assert report["resumed_epochs"] == 2
    assert report["resumed_iterations"] == [3 * n for n in per_epoch]


@pytest.mark.parametrize("name", list(MODELS))
def test_one_step_gives_the_same_numbers_on_every_backend(results, name):
    if len(INSTALLED) < 2:
        pytest.skip("needs two backends")
    steps = {b: np.load(results / b / "step.npz") for b in INSTALLED}
    reference, *others = INSTALLED
    keys = [k for k in steps[reference].files if k.startswith(f"{name}/")]
    assert any("/log/" in k for k in keys) and any(
        "/weight/" in k for k in keys
    )
    for other in others:
        for key in keys:
            np.testing.assert_allclose(
                steps[other][key], steps[reference][key], rtol=1e-4,
                atol=1e-4, err_msg=f"{key}: {other} vs {reference}",
            )  # fmt: skip


@pytest.mark.parametrize("name", list(MODELS))
def test_keras_file_from_one_backend_generates_the_same_on_others(
    results, name
):
    if len(INSTALLED) < 2:
        pytest.skip("needs two backends")
    for backend in INSTALLED:
        loaded = np.load(results / backend / "loaded.npz")
        for origin in INSTALLED:
            if origin == backend:
                continue
            expected = np.load(results / origin / "generated.npz")[name]
            np.testing.assert_allclose(
                loaded[f"{origin}/{name}"], expected, atol=1e-5,
                err_msg=f"{name} saved on {origin}, opened on {backend}",
            )  # fmt: skip
