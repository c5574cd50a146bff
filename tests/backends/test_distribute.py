"""Training under `tf.distribute`: mirrored replicas and several workers.

TensorFlow fixes its devices when it starts, and pytest runs every test in
one process, so the checks that need two logical CPUs run in a subprocess
that is this file run as a script
(`python -m tests.backends.test_distribute`), started beside the rest of
the suite. It prints its measurements as JSON; the tests below assert on
them.
"""

import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_genimg import distribute
from keras_genimg.models import replicas
from tests.background import run_niced

# Every test here trains or starts processes: deselect with -m "not slow".
pytestmark = pytest.mark.slow

SHAPE = (16, 16, 1)
GLOBAL_BATCH = 8
LEARNING_RATE = 0.01
TIMEOUT = 240


# === Checks run with two logical CPUs (in the subprocess) ===

# One model per training path: one optimizer; two with labels, the
# BatchNorm of the DCGAN family and spectral norm; n_critic critic updates.
MIRRORED_MODELS = {
    "vae": {},
    "cgan": {"num_classes": 2, "spectral_norm": True, "loss": "hinge"},
    "wgan_gp": {"n_critic": 2},
}


def _mirrored_checks():
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras

    from keras_genimg import models
    from keras_genimg.models import generative_model

    strategy = distribute.get_strategy("mirrored", ["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    images = rng.random((2 * GLOBAL_BATCH,) + SHAPE, "float32")
    labels = np.arange(2 * GLOBAL_BATCH) % 2

    results = {"num_replicas": strategy.num_replicas_in_sync}
    results["noise"] = _noise_per_replica(strategy, keras, models)

    # The VAE's networks hold no BatchNorm: with its posterior noise
    # switched off, one step on two replicas is the same computation as
    # one step on one device with the same global batch.
    class MeanVAE(models.VAE):
        def reparameterize(self, z_mean, z_log_var):
            return z_mean + 0.0 * z_log_var

    def train(strategy, initial_weights=None):
        # Seeded: some draws of the weights put a ReLU's input within
        # rounding of zero, and the two sums of the gradients then part.
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = MeanVAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
            model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE))
        if initial_weights is not None:
            model.set_weights(initial_weights)
        initial = [w.copy() for w in model.get_weights()]
        history = model.fit(
            images, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False, verbose=0
        )
        return initial, model.get_weights(), history.history["loss"]

    initial, single_weights, single_loss = train(tf.distribute.get_strategy())
    _, mirrored_weights, mirrored_loss = train(strategy, initial)
    results["equivalence"] = {
        "single_loss": single_loss,
        "mirrored_loss": mirrored_loss,
        "weights_diff": _max_diff(single_weights, mirrored_weights),
        "weights_moved": _max_diff(initial, single_weights),
    }
    # The same run without the division by the number of replicas, to
    # show the comparison above would catch a missing or wrong scaling.
    scale = generative_model.scale_loss_for_replicas
    generative_model.scale_loss_for_replicas = lambda loss: loss
    try:
        _, unscaled_weights, _ = train(strategy, initial)
    finally:
        generative_model.scale_loss_for_replicas = scale
    results["unscaled_weights_diff"] = _max_diff(
        single_weights, unscaled_weights
    )

    results["smoke"] = {}
    for name, extra in MIRRORED_MODELS.items():
        conditional = models.entry(name).conditional
        with strategy.scope():
            model = models.get(
                name,
                image_shape=SHAPE,
                latent_dim=4,
                filters=8,
                seed=0,
                **extra,
            )
            model.compile()
        history = model.fit(
            images,
            labels if conditional else None,
            batch_size=GLOBAL_BATCH,
            epochs=1,
            verbose=0,
        )
        results["smoke"][name] = {
            "logs": {k: v[-1] for k, v in history.history.items()},
            "generator_steps": int(model.optimizer.iterations.value.numpy()),
        }
    return results


def _noise_per_replica(strategy, keras, models):
    """Latents drawn by each replica, and the seed states after the draw."""
    with strategy.scope():
        model = models.VAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=3)

    def draw():
        return keras.random.normal((2, 4), seed=model.seed_generator)

    import tensorflow as tf

    drawn = tf.function(lambda: strategy.run(draw))()
    single = models.VAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=3)
    return {
        "replicas": [
            np.asarray(x).tolist()
            for x in strategy.experimental_local_results(drawn)
        ],
        "single_device": np.asarray(
            keras.random.normal((2, 4), seed=single.seed_generator)
        ).tolist(),
        "states": [
            np.asarray(s).tolist()
            for s in strategy.experimental_local_results(
                model.seed_generator.state.value
            )
        ],
    }


def _max_diff(weights_a, weights_b):
    return max(
        float(np.max(np.abs(a - b)))
        for a, b in zip(weights_a, weights_b)
        if a.dtype.kind == "f"
    )


if __name__ == "__main__":
    print("RESULTS " + json.dumps(_mirrored_checks()))
    sys.exit(0)


# === Tests ===


# The process of the mirrored checks, started by `start_checks`.
_CHECKS = {}


def start_checks():
    """Starts the process of `_mirrored_checks` in a thread of its own,
    once, at a lower priority (`tests.background.run_niced`).

    `tests/conftest.py` calls it when these tests are collected and moves
    them to the end of the session, so that it runs beside the rest.
    """
    if "done" not in _CHECKS:
        env = dict(
            os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES=""
        )
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        _CHECKS["done"] = pool.submit(
            run_niced, ["tests.backends.test_distribute"], env
        )
        pool.shutdown(wait=False)


@pytest.fixture(scope="module")
def mirrored():
    """The measurements of `_mirrored_checks`, made once per test run."""
    start_checks()
    done = _CHECKS["done"].result()
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(
        line for line in done.stdout.splitlines() if line.startswith("RESULTS ")
    )
    return json.loads(line[len("RESULTS ") :])


def test_replicas_draw_different_noise(mirrored):
    noise = mirrored["noise"]
    assert mirrored["num_replicas"] == 2
    first, second = (np.array(r) for r in noise["replicas"])
    assert not np.allclose(first, second)
    # Replica 0 draws what a single device draws, and the seed state
    # advances in step on both replicas.
    np.testing.assert_allclose(first, noise["single_device"])
    assert noise["states"] == [[3, 1], [3, 1]]


def test_mirrored_step_matches_single_device(mirrored):
    result = mirrored["equivalence"]
    np.testing.assert_allclose(
        result["mirrored_loss"], result["single_loss"], rtol=1e-5
    )
    assert result["weights_moved"] > 1e-3
    assert result["weights_diff"] < 1e-5


def test_unscaled_loss_would_over_count_gradients(mirrored):
    # Summed over two replicas, unscaled gradients are twice too large.
    assert mirrored["unscaled_weights_diff"] > 100 * max(
        mirrored["equivalence"]["weights_diff"], 1e-7
    )


def test_every_training_path_trains_mirrored(mirrored):
    assert sorted(mirrored["smoke"]) == sorted(MIRRORED_MODELS)
    for name, result in mirrored["smoke"].items():
        assert result["logs"], name
        assert np.isfinite(list(result["logs"].values())).all(), name
        # 16 images in global batches of 8: two steps, not two per replica.
        assert result["generator_steps"] == 2, name


def test_scale_loss_for_replicas_is_identity_on_one_device():
    assert float(replicas.scale_loss_for_replicas(np.float32(3.0))) == 3.0
    assert replicas.num_replicas() == 1 and replicas.replica_id() == 0


def test_get_strategy_rejects_unknown_names():
    with pytest.raises(ValueError, match="Expected one of: default, mirrored"):
        distribute.get_strategy("tpu")


@pytest.mark.parametrize(
    "tf_config,match",
    [
        (None, "needs the TF_CONFIG"),
        ("{not json", "Invalid TF_CONFIG"),
        ('{"cluster": {"worker": ["a:1"]}}', "Invalid TF_CONFIG"),
        (
            '{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}',
            "task types must be one of",
        ),
        (
            '{"cluster": {"worker": ["a:1"]}, '
            '"task": {"type": "worker", "index": 1}}',
            "task index 1 is not in",
        ),
    ],
)
def test_multiworker_rejects_bad_tf_config(tf_config, match, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ValueError, match=match):
        distribute.get_strategy("multiworker")


def test_cli_reports_bad_tf_config(monkeypatch, capsys):
    from keras_genimg.cli.main import main

    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "vae", "--strategy", "multiworker"])
    assert exit_info.value.code == 2
    assert "Invalid TF_CONFIG" in capsys.readouterr().err


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_two_workers(name, outs):
    """Trains `name` with two local workers; returns their return codes
    and outputs."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    processes = []
    for index, out in enumerate(outs):
        tf_config = {
            "cluster": cluster,
            "task": {"type": "worker", "index": index},
        }
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps(tf_config),
            TF_CPP_MIN_LOG_LEVEL="2",
            CUDA_VISIBLE_DEVICES="",
        )
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "keras_genimg.cli.main",
                    "train",
                    name,
                    "--strategy",
                    "multiworker",
                    "--out",
                    str(out),
                    "--epochs",
                    "1",
                    "--limit",
                    "20",
                    "--batch-size",
                    "10",
                    "--image-size",
                    "16",
                    "--latent-dim",
                    "4",
                    "--verbose",
                    "0",
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    try:
        logs = [p.communicate(timeout=TIMEOUT)[0] for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    return [p.returncode for p in processes], logs


# The cGAN: two optimizers and labels, the richest training path. The
# other paths are checked under MirroredStrategy above, in one process.
@pytest.mark.parametrize("name", ["cgan"])
def test_multiworker_trains_and_only_the_chief_writes(name, tmp_path):
    outs = [tmp_path / "chief", tmp_path / "worker"]
    codes, logs = _run_two_workers(name, outs)
    if codes != [0, 0] and any("heartbeat timeout" in log for log in logs):
        # TensorFlow's coordination service fails the cluster when a
        # worker sends no heartbeat for 10 s, which a machine busy with
        # the rest of the suite can starve it of (no public setting
        # lengthens it): once more, on new ports.
        for out in outs:
            shutil.rmtree(out, ignore_errors=True)
        codes, logs = _run_two_workers(name, outs)
    assert codes == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    chief = outs[0]
    assert (chief / "model.keras").is_file()
    assert (chief / "samples" / "epoch_0001.png").is_file()
    with open(chief / "history.json") as f:
        assert json.load(f)["epoch"] == [1]
    assert not outs[1].exists()
