"""Resuming a killed `genimg train`, and stopping on divergence."""

import concurrent.futures
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time

import keras
import numpy as np
import pytest

from keras_genimg.callbacks import (
    BackupFallbackWarning,
    DivergenceGuard,
    StopOnSignal,
    TrainingBackup,
    TrainingDivergedError,
    find_backup,
    training_backup,
)
from keras_genimg.cli.backend_process import run_on_backend
from keras_genimg.cli.main import main
from keras_genimg.cli.run_folder import LOCK_FILE
from keras_genimg.models import VAE

EPOCHS = 5
ARGS = ["train", "vae", "--limit", "1024", "--batch-size", "32",
        "--image-size", "16", "--latent-dim", "4", "--epochs", str(EPOCHS),
        "--seed", "3", "--verbose", "0"]  # fmt: skip


def completed_epochs(out):
    return find_backup(out / "backup")[0]


def _sigterm_run(tmp_path, backend):
    # With --backend, the command starts Keras on that backend itself: the
    # process that holds the run folder is the one started here.
    out = tmp_path / "run"
    command = [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
               "--epochs", "50", "--out", str(out), *backend]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, env=environment,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while completed_epochs(out) < 1 and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before the signal"
        time.sleep(0.02)
    holder = (out / LOCK_FILE).read_text().strip()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert holder == str(process.pid)
    assert process.returncode == 130
    assert err.splitlines() == [
        "genimg train: interrupted by SIGTERM; run the same command again "
        "to resume after the last completed epoch"
    ]
    assert completed_epochs(out) >= 1


def _killed_run(tmp_path):
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    command = [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
               "--out", str(killed)]  # fmt: skip
    # The uninterrupted run, to compare with, trains alongside.
    uninterrupted = subprocess.Popen(
        [*command[:-1], str(fresh)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
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

    _, err = uninterrupted.communicate(timeout=300)
    assert uninterrupted.returncode == 0, err[-2000:]

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


def test_divergence_is_of_the_steps_losses_and_metrics():
    guard = DivergenceGuard()
    guard.set_model(VAE(image_shape=(16, 16, 1), latent_dim=2, filters=4))
    guard.on_train_begin()
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(0, {"loss": 1.0, "kl_loss": 0.5})
    # A callback's own value (a sample metric it skipped) is its business.
    guard.on_epoch_end(0, {"loss": 1.0, "val_fid": math.nan})
    with pytest.raises(TrainingDivergedError, match="val_loss is inf"):
        guard.on_epoch_end(0, {"loss": 1.0, "val_loss": math.inf})


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
        main([*args, "--epochs", "2", "--overwrite"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "diverged in epoch 1" in err and "Traceback" not in err
    # The diverged run saved nothing over the last good checkpoint.
    reloaded = keras.models.load_model(out / "model.keras").get_weights()
    for a, b in zip(good, reloaded, strict=True):
        np.testing.assert_array_equal(a, b)


class StopAtEpoch(keras.callbacks.Callback):
    """Records the weights after each epoch; stops (as a kill would) at
    the start of epoch `stop`; records the first epoch a `fit` runs."""

    def __init__(self, stop=None):
        super().__init__()
        self.stop = stop
        self.weights = {}
        self.first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch
            self.weights_at_start = self.model.get_weights()
        if epoch == self.stop:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = self.model.get_weights()


def small_vae():
    vae = VAE(image_shape=(16, 16, 1), latent_dim=2, filters=4, seed=0)
    vae.compile()
    return vae


def fit_until(model, folder, epochs=4, stop=None, backup=None):
    images = np.random.default_rng(0).random((32, 16, 16, 1), "float32")
    recorder = StopAtEpoch(stop)
    backup = backup or TrainingBackup(folder)
    try:
        model.fit(images, batch_size=16, epochs=epochs, verbose=0,
                  callbacks=[recorder, backup])  # fmt: skip
    except KeyboardInterrupt:
        pass
    return recorder


def assert_weights_equal(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.slow
def test_backup_keeps_two_epochs_and_resumes_from_the_newest(tmp_path):
    first = fit_until(small_vae(), tmp_path, stop=3)
    assert sorted(os.listdir(tmp_path)) == [
        "epoch_0002.weights.h5",
        "epoch_0003.weights.h5",
    ]
    resumed = fit_until(small_vae(), tmp_path)
    assert resumed.first_epoch == 3
    assert_weights_equal(resumed.weights_at_start, first.weights[3])
    assert not tmp_path.exists()  # deleted once fit completes


@pytest.mark.parametrize(
    "damage", ["truncate", pytest.param("empty", marks=pytest.mark.slow)]
)
def test_unreadable_newest_backup_falls_back_with_one_warning(tmp_path, damage):
    first = fit_until(small_vae(), tmp_path, stop=3)
    newest = tmp_path / "epoch_0003.weights.h5"
    size = newest.stat().st_size
    with open(newest, "r+b") as f:
        f.truncate(size // 2 if damage == "truncate" else 0)
    with pytest.warns(BackupFallbackWarning) as warned:
        resumed = fit_until(small_vae(), tmp_path)
    ours = [w for w in warned if w.category is BackupFallbackWarning]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert str(newest) in message and "epoch_0002" in message
    assert resumed.first_epoch == 2
    assert_weights_equal(resumed.weights_at_start, first.weights[2])


@pytest.mark.slow
def test_no_readable_backup_starts_over_and_says_so(tmp_path):
    fit_until(small_vae(), tmp_path, stop=3)
    for path in tmp_path.iterdir():
        path.write_bytes(b"")
    with pytest.warns(BackupFallbackWarning, match="starting over"):
        resumed = fit_until(small_vae(), tmp_path)
    assert resumed.first_epoch == 0


@pytest.mark.slow
def test_the_backup_resumed_from_is_read_once(tmp_path, monkeypatch):
    fit_until(small_vae(), tmp_path, stop=2)
    reads = []
    unreadable = training_backup._unreadable
    monkeypatch.setattr(
        training_backup,
        "_unreadable",
        lambda path: reads.append(path) or unreadable(path),
    )
    backup = TrainingBackup(tmp_path)
    assert backup.completed_epochs() == 2
    resumed = fit_until(small_vae(), tmp_path, backup=backup)
    assert resumed.first_epoch == 2
    assert reads == [str(tmp_path / "epoch_0002.weights.h5")]


def test_stop_on_signal_stops_fit_after_the_step_the_signal_came_in():
    model = small_vae()
    images = np.random.default_rng(0).random((64, 16, 16, 1), "float32")
    before = signal.getsignal(signal.SIGINT)
    with StopOnSignal() as stop_on_signal:
        os.kill(os.getpid(), signal.SIGINT)  # recorded, not raised
        assert stop_on_signal.received == "SIGINT"
        with pytest.raises(KeyboardInterrupt, match="by SIGINT"):
            model.fit(images, batch_size=16, epochs=2, verbose=0,
                      callbacks=[stop_on_signal])  # fmt: skip
    assert int(model.optimizer.iterations) == 1
    assert signal.getsignal(signal.SIGINT) is before
    # The same callback in a new block forgets the signal of the last one.
    with stop_on_signal:
        try:
            model.fit(images, batch_size=16, epochs=1, verbose=0,
                      callbacks=[stop_on_signal])  # fmt: skip
        except KeyboardInterrupt:
            pytest.fail("the signal of the last block stopped this one")
    assert int(model.optimizer.iterations) == 5


CHILD_UNTIL_SIGTERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *args: sys.exit(130))
open(sys.argv[-1], "w").close()
time.sleep(60)
"""


def test_an_interrupted_caller_stops_its_command_on_another_backend(
    tmp_path, monkeypatch
):
    # `main` called from Python, with Keras started on another backend,
    # runs the command in a child process (here a stand-in that waits for
    # SIGTERM): a KeyboardInterrupt in the caller (SIGTERM, as the command
    # line maps it) reaches the child, whose status comes back.
    script, ready = tmp_path / "child.py", tmp_path / "ready"
    script.write_text(CHILD_UNTIL_SIGTERM)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setattr(
        "keras_genimg.cli.backend_process._run_as_genimg_command", lambda: True
    )

    def interrupt(*args):
        raise KeyboardInterrupt

    def signal_when_ready():
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, interrupt)
    sender = threading.Thread(target=signal_when_ready)
    start = time.monotonic()
    try:
        sender.start()
        status = run_on_backend("torch", ["--backend", "torch", str(ready)])
    except KeyboardInterrupt:
        pytest.fail("the interrupt was not passed on to the child")
    finally:
        sender.join()
        signal.signal(signal.SIGUSR1, previous)
    assert ready.exists() and status == 130
    assert time.monotonic() - start < 30


def test_backup_of_another_model_is_one_clear_error(tmp_path):
    fit_until(small_vae(), tmp_path, stop=1)
    other = VAE(image_shape=(16, 16, 1), latent_dim=3, filters=4, seed=0)
    other.compile()
    with pytest.raises(ValueError, match="not of this model") as error:
        fit_until(other, tmp_path)
    assert "\n" not in str(error.value)


@pytest.mark.slow
def test_a_resume_refused_for_other_arguments_keeps_the_runs_record(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "run"
    args = ["train", "vae", "--limit", "32", "--batch-size", "16",
            "--image-size", "16", "--epochs", "2", "--verbose", "0",
            "--out", str(out)]  # fmt: skip
    backup_epoch_end = TrainingBackup.on_epoch_end

    def stop_after_the_first_backup(self, epoch, logs=None):
        backup_epoch_end(self, epoch, logs)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(
            TrainingBackup, "on_epoch_end", stop_after_the_first_backup
        )
        with pytest.raises(SystemExit):
            main([*args, "--latent-dim", "2"])
    assert completed_epochs(out) == 1
    record = (out / "config.json").read_text()
    assert json.loads(record)["latent_dim"] == 2
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--latent-dim", "3"])
    assert exit_info.value.code == 2
    assert "not of this model" in capsys.readouterr().err
    assert (out / "config.json").read_text() == record


KILL_AT_BACKUP_WRITE = """
import os, sys, time
from keras_genimg.callbacks import training_backup
from keras_genimg.cli.main import main

real_atomic_path = training_backup.atomic_path

class HalfWrittenThenKilled:
    # The second epoch's backup: written half, then the process waits for
    # its kill before the rename.
    calls = 0

    def __init__(self, path, suffix=""):
        self.inner = real_atomic_path(path, suffix)

    def __enter__(self):
        return self.inner.__enter__()

    def __exit__(self, *exc_info):
        HalfWrittenThenKilled.calls += 1
        if HalfWrittenThenKilled.calls == 2:
            tmp = [n for n in os.listdir(os.environ["BACKUP"])
                   if n.startswith(".tmp-")][0]
            path = os.path.join(os.environ["BACKUP"], tmp)
            os.truncate(path, os.path.getsize(path) // 2)
            open(os.environ["READY"], "w").close()
            time.sleep(600)
        return self.inner.__exit__(*exc_info)

training_backup.atomic_path = HalfWrittenThenKilled
main(sys.argv[1:])
"""


def _run_killed_at_the_backup_write(tmp_path):
    out = tmp_path / "run"
    ready = tmp_path / "ready"
    env = dict(os.environ, BACKUP=str(out / "backup"), READY=str(ready))
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_AT_BACKUP_WRITE, *ARGS, "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not ready.exists() and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before the kill"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert completed_epochs(out) == 1  # the half-written one is not used
    # And a damaged newer backup (a full disk, say) is passed over.
    (out / "backup" / "epoch_0002.weights.h5").write_bytes(b"\x89HDF\r\n")

    command = [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
               "--epochs", "2", "--out", str(out)]  # fmt: skip
    resumed = subprocess.run(command, capture_output=True, text=True,
                             timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "after epoch 1 of 2" in resumed.stdout
    said = [line for line in resumed.stderr.splitlines() if "backup" in line]
    assert len(said) == 1 and said[0].startswith(
        "genimg: warning: the backup "
    ), resumed.stderr
    assert "epoch_0002.weights.h5 cannot be read" in said[0]
    with open(out / "history.json") as f:
        assert json.load(f)["epoch"] == [1, 2]


# The tests of real processes above, by test name: each starts `genimg`
# processes and waits on them, seconds of which go to starting
# TensorFlow; they run side by side, started when the first of them runs.
PROCESS_RUNS = {
    "test_sigterm_stops_training_like_ctrl_c_with_one_line[tensorflow]": (
        lambda tmp_path: _sigterm_run(tmp_path, [])
    ),
    "test_sigterm_stops_training_like_ctrl_c_with_one_line[torch]": (
        lambda tmp_path: _sigterm_run(tmp_path, ["--backend", "torch"])
    ),
    "test_killed_run_resumes_to_the_same_weights": _killed_run,
    "test_run_killed_at_the_backup_write_resumes": (
        _run_killed_at_the_backup_write
    ),
}


@pytest.fixture(scope="module")
def process_runs(request, tmp_path_factory):
    """Starts the selected tests' runs of `PROCESS_RUNS` side by side;
    returns their futures by test name."""
    selected = [
        item.name
        for item in request.session.items
        if item.module is request.module and item.name in PROCESS_RUNS
    ]
    with concurrent.futures.ThreadPoolExecutor(len(selected)) as pool:
        yield {
            name: pool.submit(
                PROCESS_RUNS[name], tmp_path_factory.mktemp("run")
            )
            for name in selected
        }


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "torch"])
def test_sigterm_stops_training_like_ctrl_c_with_one_line(
    request, process_runs, backend
):
    process_runs[request.node.name].result()


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(request, process_runs):
    process_runs[request.node.name].result()


@pytest.mark.slow
def test_run_killed_at_the_backup_write_resumes(request, process_runs):
    process_runs[request.node.name].result()
