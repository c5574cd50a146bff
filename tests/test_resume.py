"""Resuming a killed `genimg train`, and stopping on divergence."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from keras_genimg.callbacks import DivergenceGuard, TrainingDivergedError
from keras_genimg.cli.main import main
from keras_genimg.models import VAE

EPOCHS = 5
ARGS = ["train", "vae", "--limit", "1024", "--batch-size", "32",
        "--image-size", "16", "--latent-dim", "4", "--epochs", str(EPOCHS),
        "--seed", "3", "--verbose", "0"]  # fmt: skip


def completed_epochs(out):
    try:
        with open(out / "backup" / "training_metadata.json") as f:
            return json.load(f)["epoch"]
    except (OSError, ValueError):
        return 0


@pytest.mark.slow
def test_sigterm_stops_training_like_ctrl_c_with_one_line(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
               "--epochs", "50", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while completed_epochs(out) < 1 and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before the signal"
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err.splitlines() == [
        "genimg train: interrupted by SIGTERM; run the same command again "
        "to resume after the last completed epoch"
    ]
    assert completed_epochs(out) >= 1


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(tmp_path):
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
               "--out", str(killed)]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while completed_epochs(killed) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before the kill"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = completed_epochs(killed)
    assert 2 <= done < EPOCHS

    resumed = subprocess.run(
        command, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"after epoch {done} of {EPOCHS}" in resumed.stdout

    fresh = tmp_path / "fresh"
    assert main([*ARGS, "--out", str(fresh)]) == 0

    with open(killed / "history.json") as f:
        history = json.load(f)
    with open(fresh / "history.json") as f:
        expected = json.load(f)
    assert history["epoch"] == list(range(1, EPOCHS + 1))
    samples = sorted(os.listdir(killed / "samples"))
    assert [s for s in samples if s.startswith("epoch_")] == [
        f"epoch_{e:04d}.png" for e in range(1, EPOCHS + 1)
    ]
    assert not (killed / "backup").exists()  # removed once complete

    # Weights, optimizer state, the model's RNG state and the data order
    # all came back, so the resumed run ends where the uninterrupted did.
    a = keras.models.load_model(killed / "model.keras")
    b = keras.models.load_model(fresh / "model.keras")
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-5)


def test_divergence_stops_with_a_clear_error(tmp_path):
    images = np.random.default_rng(0).random((64, 16, 16, 1), "float32")
    vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8, seed=0)
    vae.compile(optimizer=keras.optimizers.SGD(1e30))
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, at batch \d"):
        vae.fit(images, batch_size=16, epochs=3, verbose=0,
                callbacks=[DivergenceGuard()])  # fmt: skip


@pytest.mark.slow
def test_cli_divergence_exits_1_and_keeps_last_good_checkpoint(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "run"
    args = ["train", "vae", "--limit", "64", "--batch-size", "32",
            "--image-size", "16", "--verbose", "0",
            "--out", str(out)]  # fmt: skip
    assert main([*args, "--epochs", "1"]) == 0
    good = keras.models.load_model(out / "model.keras").get_weights()

    original_compile = VAE.compile

    def exploding_compile(self, optimizer=None, **kwargs):
        original_compile(self, keras.optimizers.SGD(1e30), **kwargs)

    monkeypatch.setattr(VAE, "compile", exploding_compile)
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--epochs", "2"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "diverged in epoch 1" in err and "Traceback" not in err
    # The diverged run saved nothing over the last good checkpoint.
    reloaded = keras.models.load_model(out / "model.keras").get_weights()
    for a, b in zip(good, reloaded, strict=True):
        np.testing.assert_array_equal(a, b)
