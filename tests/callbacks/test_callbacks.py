"""Tests of the training callbacks: sample grids, history and checkpoints."""

import json
import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg.callbacks import (
    AtomicCheckpoint,
    HistoryJSON,
    SampleGrid,
    make_grid,
)
from keras_genimg.models import DCGAN, VAE

SHAPE = (16, 16, 1)


def random_images(num, shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random((num,) + shape, "float32")


def read_gray_png(path):
    """Reads a grayscale PNG back to (H, W) floats in [0, 1]."""
    with Image.open(path) as png:
        assert png.mode == "L"
        return np.asarray(png, "float32") / 255.0


def test_make_grid_layout_and_values():
    images = np.stack([np.full((3, 2, 1), v, "float32") for v in (0.1, 0.9)])
    images = np.concatenate([images, images[:1]])  # 3 images -> 2x2 grid
    grid = make_grid(images, border=1, border_value=0.5)
    assert grid.shape == (2 * 3 + 3, 2 * 2 + 3, 1)
    np.testing.assert_allclose(grid[1:4, 1:3], 0.1)  # first tile
    np.testing.assert_allclose(grid[1:4, 4:6], 0.9)  # second tile
    np.testing.assert_allclose(grid[5:8, 1:3], 0.1)  # third tile
    np.testing.assert_allclose(grid[5:8, 4:6], 0.5)  # empty cell
    np.testing.assert_allclose(grid[0], 0.5)  # top border
    np.testing.assert_allclose(grid[:, 3], 0.5)  # border between columns
    with pytest.raises(ValueError, match="non-empty batch"):
        make_grid(np.zeros((2, 2)))


@pytest.mark.slow
def test_sample_grid_writes_fixed_latent_samples(tmp_path):
    keras.utils.set_random_seed(0)
    gan = DCGAN(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    gan.compile()
    grid = SampleGrid(tmp_path, num_images=9, seed=5)
    gan.fit(
        random_images(32), batch_size=16, epochs=2, callbacks=[grid], verbose=0
    )
    assert sorted(os.listdir(tmp_path)) == ["epoch_0001.png", "epoch_0002.png"]
    pixels = read_gray_png(tmp_path / "epoch_0002.png")
    assert pixels.shape == (3 * 16 + 4, 3 * 16 + 4)
    # The last grid shows the final model's images of the seed-5 latents.
    expected = make_grid(gan.generate(z=gan.sample_latent(9, seed=5)))[..., 0]
    np.testing.assert_allclose(pixels, expected, atol=0.5 / 255 + 1e-6)
    first = read_gray_png(tmp_path / "epoch_0001.png")
    assert not np.allclose(first, pixels)  # the model changed in between


@pytest.mark.slow
def test_sample_grid_writes_vae_reconstructions(tmp_path):
    vae = VAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    vae.compile()
    originals = random_images(8, seed=1)
    grid = SampleGrid(
        tmp_path,
        num_images=4,
        every_n_epochs=2,
        reconstruction_images=originals,
    )
    vae.fit(
        random_images(32), batch_size=16, epochs=2, callbacks=[grid], verbose=0
    )
    assert sorted(os.listdir(tmp_path)) == [
        "epoch_0002.png",
        "reconstructions_epoch_0002.png",
    ]
    pixels = read_gray_png(tmp_path / "reconstructions_epoch_0002.png")
    # 8 pairs in rows of 2 pairs: 4 columns x 4 rows of 16x16 tiles.
    assert pixels.shape == (4 * 16 + 5, 4 * 16 + 5)
    np.testing.assert_allclose(
        pixels[1:17, 1:17], originals[0, ..., 0], atol=0.5 / 255 + 1e-6
    )
    np.testing.assert_allclose(
        pixels[1:17, 18:34],
        vae.reconstruct(originals[:1])[0, ..., 0],
        atol=0.5 / 255 + 1e-6,
    )


def test_sample_grid_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="num_images"):
        SampleGrid(tmp_path, num_images=0)


@pytest.mark.slow
def test_history_json_lines_values_up_with_their_epochs(tmp_path):
    # Validation every other epoch: its values sit at epochs 2 and 4.
    callback = HistoryJSON(tmp_path / "history.json")
    callback.on_train_begin()
    for epoch in range(4):
        logs = {"loss": 10.0 - epoch}
        if epoch % 2:
            logs["val_loss"] = 20.0 - epoch
        callback.on_epoch_end(epoch, logs)
    with open(tmp_path / "history.json") as f:
        written = json.load(f)
    assert written == {
        "epoch": [1, 2, 3, 4],
        "loss": [10.0, 9.0, 8.0, 7.0],
        "val_loss": [None, 19.0, None, 17.0],
    }


@pytest.mark.slow
def test_history_json_and_checkpoint(tmp_path):
    vae = VAE(image_shape=SHAPE, latent_dim=4, filters=8, seed=0)
    vae.compile()
    history = vae.fit(
        random_images(32),
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[
            HistoryJSON(tmp_path / "history.json"),
            AtomicCheckpoint(tmp_path / "model.keras"),
        ],
    )
    with open(tmp_path / "history.json") as f:
        written = json.load(f)
    assert written["epoch"] == [1, 2, 3]
    for key, values in history.history.items():
        np.testing.assert_allclose(written[key], values, rtol=1e-6)
    assert sorted(os.listdir(tmp_path)) == ["history.json", "model.keras"]
    loaded = keras.models.load_model(tmp_path / "model.keras")
    z = vae.sample_latent(3, seed=0)
    np.testing.assert_allclose(loaded.generate(z=z), vae.generate(z=z))
    with pytest.raises(ValueError, match=".keras"):
        AtomicCheckpoint(tmp_path / "model.h5")
