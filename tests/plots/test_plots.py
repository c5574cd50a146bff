"""Tests of the plots: loss curves, latent pictures and the sample GIF."""

import math

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg.callbacks import save_image_grid
from keras_genimg.models import VAE
from keras_genimg.plots import (
    animate_grids,
    epoch_grids,
    gaussian_quantiles,
    history_panels,
    manifold_latents,
    plot_history,
    plot_latent_manifold,
    plot_latent_scatter,
    read_gif_frames,
)

SHAPE = (16, 16, 1)


def read_png(path):
    with Image.open(path) as png:
        return np.asarray(png.convert("RGB"), "float32") / 255.0


def assert_not_blank(pixels):
    """More than a background: several colours over a fair share of it."""
    background = np.all(pixels == pixels[0, 0], axis=-1)
    assert background.mean() < 0.98
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


def test_history_panels_pair_metrics_with_their_validation():
    history = {
        "epoch": [1, 2],
        "loss": [2, 1],
        "kl_loss": [1, 1],
        "val_loss": [3, 2],
        "val_fid": [math.nan, 5.0],
    }
    assert history_panels(history) == [
        ["loss", "val_loss"],
        ["kl_loss"],
        ["val_fid"],
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "num_metrics,size", [(1, (400, 300)), (4, (1200, 600))]
)
def test_plot_history_size_and_content(tmp_path, num_metrics, size):
    history = {"epoch": [1, 2, 3, 4]}
    for i in range(num_metrics):
        history[f"metric_{i}"] = [4.0 - i, 3.0, math.nan, 1.0 + i]
    path = plot_history(history, tmp_path / "history.png")
    pixels = read_png(path)
    assert pixels.shape[1::-1] == size  # (width, height)
    assert_not_blank(pixels)


def test_plot_history_reads_a_run_folder(tmp_path):
    (tmp_path / "history.json").write_text('{"epoch": [1], "loss": [0.5]}')
    plot_history(tmp_path, tmp_path / "history.png")
    assert (tmp_path / "history.png").is_file()
    with pytest.raises(FileNotFoundError, match="No history file"):
        plot_history(tmp_path / "nowhere", tmp_path / "x.png")


def test_manifold_latents_walk_the_gaussian_quantiles():
    quantiles = gaussian_quantiles(4)
    assert quantiles[0] == pytest.approx(-1.6449, abs=1e-4)
    assert quantiles[-1] == pytest.approx(1.6449, abs=1e-4)
    z = manifold_latents(2, grid_size=4)
    assert z.shape == (16, 2)
    np.testing.assert_allclose(z[0], [quantiles[0], quantiles[-1]], rtol=1e-6)
    np.testing.assert_allclose(z[3], [quantiles[-1], quantiles[-1]], rtol=1e-6)
    np.testing.assert_allclose(z[12], [quantiles[0], quantiles[0]], rtol=1e-6)
    plane = np.array([[0, 0, 1.0], [1.0, 0, 0]])
    z3 = manifold_latents(3, grid_size=4, plane=plane)
    np.testing.assert_allclose(z3[:, 1], 0.0)
    np.testing.assert_allclose(z3[:, [2, 0]], z, rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("latent_dim", [2, 5])
def test_latent_manifold_and_scatter(tmp_path, latent_dim):
    vae = VAE(image_shape=SHAPE, latent_dim=latent_dim, filters=8, seed=0)
    images = np.random.default_rng(0).random((40,) + SHAPE, "float32")
    labels = np.arange(40) % 4
    manifold = plot_latent_manifold(
        vae, tmp_path / "manifold.png", grid_size=5, images=images
    )
    pixels = read_png(manifold)
    assert pixels.shape == (800, 800, 3)
    assert_not_blank(pixels)
    scatter = plot_latent_scatter(vae, images, labels, tmp_path / "scatter.png")
    pixels = read_png(scatter)
    assert pixels.shape == (700, 800, 3)
    assert_not_blank(pixels)


def test_a_conditional_vaes_latent_space_is_drawn_with_the_images_classes(
    tmp_path,
):
    from keras_genimg.callbacks import SampleGrid
    from keras_genimg.plots.latent import encode_means

    cvae = VAE(image_shape=SHAPE, latent_dim=3, num_classes=3, seed=0)
    images = np.random.default_rng(0).random((6,) + SHAPE, "float32")
    labels = np.array([2, 2, 1, 0, 1, 2])
    np.testing.assert_array_equal(
        encode_means(cvae, images, labels), cvae.encode(images, labels)[0]
    )
    # Not the classes in turn, which sampling draws.
    for call in (
        lambda: cvae.encode(images),
        lambda: plot_latent_scatter(cvae, images, None, tmp_path / "s.png"),
    ):
        with pytest.raises(ValueError, match="conditional"):
            call()
    manifold = plot_latent_manifold(
        cvae, tmp_path / "m.png", grid_size=3, images=images, labels=labels,
        label=1,
    )  # fmt: skip
    assert_not_blank(read_png(manifold))
    grid = SampleGrid(tmp_path / "grids", reconstruction_images=images)
    grid.set_model(cvae)
    with pytest.raises(ValueError, match="reconstruction_labels"):
        grid.on_train_begin()


def test_animate_grids_in_epoch_order(tmp_path):
    samples = tmp_path / "samples"
    for epoch in (10, 2, 1):  # written out of order on purpose
        save_image_grid(
            samples / f"epoch_{epoch:04d}.png",
            np.full((4, 8, 8, 1), epoch / 10.0, "float32"),
        )
    save_image_grid(
        samples / "reconstructions_epoch_0001.png", np.zeros((4, 8, 8, 1))
    )
    assert [e for e, _ in epoch_grids(tmp_path)] == [1, 2, 10]
    path, count = animate_grids(tmp_path, tmp_path / "samples.gif")
    assert count == 3
    frames = read_gif_frames(path)
    assert len(frames) == 3
    assert frames[0].shape == (19 + 14, 19, 3)  # 2x2 grid of 8px + label
    # The tiles get brighter epoch after epoch.
    tile = [frame[14 + 1 : 14 + 9, 1:9].mean() for frame in frames]
    assert tile[0] < tile[1] < tile[2]
    with pytest.raises(FileNotFoundError, match="No epoch grids"):
        animate_grids(tmp_path / "samples" / "none", tmp_path / "x.gif")
