"""Tests of the quality-metric and TensorBoard sample-grid callbacks."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_genimg.callbacks import (
    DivergenceGuard,
    HistoryJSON,
    SampleMetric,
    TensorBoardGrid,
    make_grid,
)
from keras_genimg.metrics import (
    Reference,
    build_judge,
    compute_metrics,
    judge_extractor,
)
from keras_genimg.models import DCGAN, VAE

SHAPE = (16, 16, 1)


def random_images(num, seed=0):
    return np.random.default_rng(seed).random((num,) + SHAPE, "float32")


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.mark.slow
def test_sample_metric_logs_every_n_epochs_for_checkpoints(tmp_path):
    images = random_images(32)
    extractor = judge_extractor(build_judge(SHAPE, 4, filters=4))
    gan = DCGAN(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    gan.compile()
    metric = SampleMetric(
        images, extractor, "fid", num_images=16, every_n_epochs=2, seed=3
    )
    best = tmp_path / "best.keras"
    history = gan.fit(
        images,
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[
            metric,  # before the callbacks that read `val_fid`
            keras.callbacks.ModelCheckpoint(
                best, monitor="val_fid", mode="min", save_best_only=True
            ),
            HistoryJSON(tmp_path / "history.json"),
            # NaN on the epochs the metric skips is no divergence.
            DivergenceGuard(),
        ],
    )
    logged = history.history["val_fid"]
    assert math.isnan(logged[0]) and math.isnan(logged[2])
    assert logged[1] > 0
    assert best.is_file()  # saved at epoch 2, the only measured one
    with open(tmp_path / "history.json") as f:
        assert len(json.load(f)["val_fid"]) == 3

    # The logged value is the metric of the fixed samples.
    latent = gan.sample_latent(16, seed=3)
    expected = compute_metrics(
        Reference(extractor.extract(images)),
        extractor.extract(gan.generate(z=latent)),
        metrics=("fid",),
    )["fid"]
    assert metric.measure() == pytest.approx(expected, rel=1e-5)


def test_sample_metric_checks_arguments():
    extractor = judge_extractor(build_judge(SHAPE, 4, filters=4))
    with pytest.raises(ValueError, match="Unknown metric 'psnr'"):
        SampleMetric(random_images(4), extractor, metric="psnr")
    with pytest.raises(ValueError, match="every_n_epochs"):
        SampleMetric(random_images(4), extractor, every_n_epochs=0)


def read_image_summaries(log_dir):
    """`(step, tag, image)` of every image summary under `log_dir`."""
    found = []
    for path in tf.io.gfile.glob(f"{log_dir}/*/events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name != "images":
                    continue
                width, height, png = tf.make_ndarray(value.tensor)
                image = tf.io.decode_png(png).numpy()
                assert image.shape[:2] == (int(height), int(width))
                found.append((event.step, value.tag, image))
    return found


@pytest.mark.slow
def test_tensorboard_grid_writes_image_summaries(tmp_path):
    vae = VAE(image_shape=SHAPE, latent_dim=2, filters=8, seed=0)
    vae.compile()
    grid = TensorBoardGrid(tmp_path, num_images=4, every_n_epochs=1, seed=1)
    vae.fit(random_images(16), epochs=2, verbose=0, callbacks=[grid])
    summaries = read_image_summaries(tmp_path)
    assert [(step, tag) for step, tag, _ in summaries] == [
        (1, "samples"),
        (2, "samples"),
    ]
    last = summaries[-1][2][..., 0] / 255.0
    expected = make_grid(vae.generate(z=vae.sample_latent(4, seed=1)))
    assert last.shape == expected.shape[:2]
    np.testing.assert_allclose(last, expected[..., 0], atol=1 / 255 + 1e-6)
