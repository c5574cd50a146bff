"""`genimg train` and its run folder: one process at a time, and a finished
run replaced only when asked."""

import os
import subprocess
import sys
import time

import pytest

from keras_genimg.cli.main import main

ARGS = ["train", "vae", "--limit", "64", "--batch-size", "32",
        "--image-size", "16", "--latent-dim", "4", "--epochs", "1",
        "--verbose", "0"]  # fmt: skip


def run_genimg(argv, capsys):
    """Exit status and stderr lines of `genimg argv` run in this process."""
    try:
        status = main(argv)
    except SystemExit as exit_info:
        status = exit_info.code
    return status, capsys.readouterr().err.splitlines()


@pytest.mark.slow
def test_finished_run_is_refused_without_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_genimg([*ARGS, "--out", str(out)], capsys)[0] == 0
    trained = (out / "model.keras").read_bytes()
    stale = out / "samples" / "epoch_0009.png"
    stale.write_bytes(b"a grid of an older, longer run")

    status, err = run_genimg([*ARGS, "--out", str(out)], capsys)
    assert status == 2
    assert err == [
        f"genimg train: error: {str(out)!r} holds a finished run "
        "(model.keras): pass --overwrite to replace it, or another --out."
    ]
    assert (out / "model.keras").read_bytes() == trained and stale.exists()

    status, _ = run_genimg(
        [*ARGS, "--out", str(out), "--overwrite", "--seed", "5"], capsys
    )
    assert status == 0
    assert not stale.exists()
    assert sorted(os.listdir(out / "samples")) == [
        "epoch_0001.png",
        "reconstructions_epoch_0001.png",
    ]
    assert (out / "model.keras").read_bytes() != trained


@pytest.mark.slow
def test_second_process_on_a_run_folder_gets_the_holders_pid(tmp_path, capsys):
    out = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "keras_genimg.cli.main", *ARGS,
         "--epochs", "1000", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        lock = out / ".lock"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert first.poll() is None, "the first run ended"
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.05)
        status, err = run_genimg([*ARGS, "--out", str(out)], capsys)
        assert status == 2
        assert err == [
            f"genimg train: error: {str(out)!r} is in use by another genimg "
            f"train (PID {first.pid}): wait for it to end, or pass another "
            "--out."
        ]
        assert first.poll() is None  # the first run goes on, untouched
    finally:
        first.kill()
        first.wait()
    # The kernel let go of the killed process's lock: the folder is free.
    assert run_genimg([*ARGS, "--out", str(out), "--overwrite"], capsys)[0] == 0
