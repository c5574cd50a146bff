"""Tests of the mode-collapse warning."""

import warnings

import numpy as np
import pytest

from keras_genimg.callbacks import (
    ModeCollapseMonitor,
    ModeCollapseWarning,
    nearest_neighbour_distance,
)
from keras_genimg.models import DCGAN

SHAPE = (16, 16, 1)


def digits_like(num, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((num,) + SHAPE) > 0.7).astype("float32")


def test_nearest_neighbour_distance_is_the_rms_to_the_closest_image():
    images = np.random.default_rng(1).random((5, 3, 3, 2))
    flat = images.reshape(5, -1)
    expected = np.mean(
        [
            min(
                np.sqrt(np.mean((flat[i] - flat[j]) ** 2))
                for j in range(5)
                if j != i
            )
            for i in range(5)
        ]
    )
    assert nearest_neighbour_distance(images) == pytest.approx(expected)
    # Three modes repeated: every image has a twin, whatever the modes.
    modes = np.repeat(images[:3], 4, axis=0)
    assert nearest_neighbour_distance(modes) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        nearest_neighbour_distance(images[:1])


def collapsed_gan():
    """A DCGAN whose generator gives one image whatever z is."""
    gan = DCGAN(SHAPE, latent_dim=4, filters=8, seed=0, use_ema=False)
    last = gan.generator.layers[-1]
    while not last.weights:
        last = gan.generator.layers[gan.generator.layers.index(last) - 1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    return gan


def run_epochs(monitor, model, epochs):
    monitor.set_model(model)
    logged = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in range(epochs):
            logs = {}
            monitor.on_epoch_end(epoch, logs)
            logged.append(logs["sample_diversity"])
    return logged, [w for w in caught if w.category is ModeCollapseWarning]


def test_warns_once_with_the_number_when_samples_collapse():
    gan = collapsed_gan()
    monitor = ModeCollapseMonitor(digits_like(32), num_images=16, start_epoch=2)
    logged, caught = run_epochs(monitor, gan, epochs=4)
    assert logged == pytest.approx([0.0] * 4, abs=1e-3)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "epoch 2" in message and "0.000" in message


def test_diverse_samples_score_near_one_and_do_not_warn(monkeypatch):
    gan = DCGAN(SHAPE, latent_dim=4, filters=8, seed=0)
    # A generator as diverse as the data: it draws real-like images.
    monkeypatch.setattr(
        gan, "generate", lambda num_images, seed: digits_like(num_images, 9)
    )
    monitor = ModeCollapseMonitor(digits_like(32), num_images=32, start_epoch=1)
    logged, caught = run_epochs(monitor, gan, epochs=2)
    assert logged[0] == pytest.approx(1.0, abs=0.1)
    assert caught == []


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="identical"):
        ModeCollapseMonitor(np.zeros((8,) + SHAPE))
    with pytest.raises(ValueError, match="num_images"):
        ModeCollapseMonitor(digits_like(8), num_images=1)
    with pytest.raises(ValueError, match="threshold"):
        ModeCollapseMonitor(digits_like(8), threshold=0)
