"""Tests of `keras_genimg.latent` and `genimg interpolate` / `traverse`."""

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg import latent
from keras_genimg.cli.main import main

SHAPE = (16, 16, 1)


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def vae(zoo_model):
    return zoo_model("vae")


def images(num, seed=0):
    return np.random.default_rng(seed).random((num,) + SHAPE, "float32")


# === Interpolation ===


def test_slerp_ends_are_the_inputs_and_norms_are_kept():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 32))
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    path = latent.interpolate(z0, z1, steps=7)
    assert path.shape == (7, 32) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], z0.astype("float32"))
    np.testing.assert_array_equal(path[-1], z1.astype("float32"))
    np.testing.assert_allclose(
        np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-5
    )
    # The straight line cuts inside the sphere.
    linear = latent.interpolate(z0, z1, steps=7, method="linear")
    assert np.linalg.norm(linear[3]) < 0.9 * np.linalg.norm(z0)
    np.testing.assert_allclose(linear[3], (z0 + z1) / 2, rtol=1e-5)
    # Equal angles between consecutive points: a great circle.
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    angles = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-3)


def test_slerp_of_batches_and_of_parallel_vectors():
    rng = np.random.default_rng(1)
    z0, z1 = rng.standard_normal((2, 5, 8))
    path = latent.interpolate(z0, z1, steps=4)
    assert path.shape == (4, 5, 8)
    for i in range(5):
        np.testing.assert_allclose(
            path[:, i], latent.interpolate(z0[i], z1[i], 4), rtol=1e-5
        )
    # Parallel vectors have no great circle: the path is the straight line.
    z = rng.standard_normal(8)
    np.testing.assert_allclose(
        latent.interpolate(z, 2 * z, 3), [z, 1.5 * z, 2 * z], rtol=1e-5
    )
    with pytest.raises(ValueError, match="Expected one of: slerp, linear"):
        latent.interpolate(z, z, 3, method="cubic")
    with pytest.raises(ValueError, match="steps"):
        latent.interpolate(z, z, 1)
    with pytest.raises(ValueError, match="same shape"):
        latent.interpolate(z, z[:4], 3)


def test_interpolate_images_decodes_the_path_between_two_codes(vae, zoo_model):
    pair = images(2)
    path = latent.interpolate_images(vae, pair[0], pair[1], steps=5)
    assert path.shape == (5,) + SHAPE
    np.testing.assert_allclose(path[[0, -1]], vae.reconstruct(pair), atol=1e-6)
    z_mean, _ = vae.encode(pair)
    expected = vae.decode(latent.interpolate(*z_mean, 5, method="linear"))
    np.testing.assert_allclose(
        latent.interpolate_images(vae, *pair, steps=5, method="linear"),
        expected,
        atol=1e-6,
    )
    cvae = zoo_model("cvae")
    with pytest.raises(ValueError, match="label"):
        latent.interpolate_images(cvae, *pair, steps=3)
    assert latent.interpolate_images(cvae, *pair, 3, label=2).shape[0] == 3
    gan = zoo_model("cgan")
    with pytest.raises(ValueError, match="no encoder"):
        latent.interpolate_images(gan, *pair, steps=3)


# === Traversal ===


def test_traversal_changes_only_the_chosen_dimension(vae):
    z = np.random.default_rng(0).standard_normal(4).astype("float32")
    values = np.linspace(-3, 3, 5)
    latents = latent.traverse_latents(z, 2, values)
    assert latents.shape == (5, 4)
    np.testing.assert_allclose(latents[:, 2], values)
    np.testing.assert_array_equal(
        np.delete(latents, 2, axis=1), [np.delete(z, 2)] * 5
    )
    swept = latent.traverse(vae, z, 2, values)
    np.testing.assert_allclose(swept, vae.generate(z=latents), atol=1e-6)
    assert not np.allclose(swept[0], swept[-1])
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        latent.traverse_latents(z, 4, values)
    with pytest.raises(ValueError, match="one latent vector"):
        latent.traverse_latents(z[None], 0, values)


def test_traversal_of_a_conditional_model_keeps_its_label(zoo_model):
    gan = zoo_model("cgan")
    z = np.zeros(4, "float32")
    swept = latent.traverse(gan, z, 1, [-1.0, 1.0], label=2)
    expected = gan.generate(
        z=latent.traverse_latents(z, 1, [-1.0, 1.0]), labels=2
    )
    np.testing.assert_allclose(swept, expected, atol=1e-6)


# === Attribute vectors ===


def test_attribute_vector_is_the_mean_code_difference(vae):
    bright, dark = images(6) * 0.5 + 0.5, images(5, seed=1) * 0.5
    vector = latent.attribute_vector(vae, bright, dark)
    expected = vae.encode(bright)[0].mean(0) - vae.encode(dark)[0].mean(0)
    np.testing.assert_allclose(vector, expected, rtol=1e-5, atol=1e-6)
    z = vae.sample_latent(3, seed=2)
    np.testing.assert_allclose(
        latent.edit(vae, z, vector, strength=0.0), vae.generate(z=z)
    )
    np.testing.assert_allclose(
        latent.edit(vae, z, vector, strength=1.5),
        vae.generate(z=z + 1.5 * vector),
        atol=1e-6,
    )
    series = latent.edit(vae, z, vector, strength=[0.0, 1.5])
    assert series.shape == (3, 2) + SHAPE
    np.testing.assert_allclose(
        series[:, 1], vae.generate(z=z + 1.5 * vector), atol=1e-6
    )


def test_attribute_vector_of_a_conditional_vae_needs_labels(zoo_model):
    cvae = zoo_model("cvae")
    with pytest.raises(ValueError, match="labels_with"):
        latent.attribute_vector(cvae, images(2), images(2, seed=1))
    vector = latent.attribute_vector(
        cvae, images(2), images(2, seed=1), labels_with=0, labels_without=0
    )
    expected = cvae.encode(images(2), 0)[0].mean(0) - cvae.encode(
        images(2, seed=1), 0
    )[0].mean(0)
    np.testing.assert_allclose(vector, expected, rtol=1e-5, atol=1e-6)


# === Files and the command line ===


def test_strip_and_gif(tmp_path):
    rows = np.random.default_rng(0).random((3, 5, 8, 8, 1))
    latent.save_strip(tmp_path / "strip.png", rows)
    with Image.open(tmp_path / "strip.png") as png:
        assert png.size == (5 * 8 + 6, 3 * 8 + 4)
    frames = latent.save_gif(tmp_path / "path.gif", rows)
    assert frames == 5 + 3  # forwards, then back without repeating the ends
    with Image.open(tmp_path / "path.gif") as gif:
        assert gif.n_frames == frames and gif.size == (2 * 8 + 3,) * 2
    with pytest.raises(ValueError, match="num_rows, steps"):
        latent.save_strip(tmp_path / "bad.png", rows[0])


def test_interpolate_and_traverse_commands(vae, tmp_path, capsys):
    model_path = tmp_path / "vae.keras"
    vae.save(model_path)
    out = tmp_path / "interpolation.png"
    argv = ["interpolate", str(model_path), "--steps", "6", "--rows", "2"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "interpolation.gif" in capsys.readouterr().out
    with Image.open(out) as png:
        assert png.size == (6 * 16 + 7, 2 * 16 + 3)
    with Image.open(tmp_path / "interpolation.gif") as gif:
        assert gif.n_frames == 6 + 4

    argv = ["traverse", str(model_path), "--dims", "1,3", "--steps", "5"]
    out = tmp_path / "sweep.png"
    assert (
        main([*argv, "--out", str(out), "--gif", str(tmp_path / "s.gif")]) == 0
    )
    margin = 6 * len("dim 1") + 4  # each row says which dimension moves
    with Image.open(out) as png:
        assert png.size == (margin + 5 * 16 + 6, 2 * 16 + 3)
        pixels = np.asarray(png.convert("L"))
    for row in range(2):
        band = pixels[1 + row * 17 : 17 + row * 17, :margin]
        assert band.min() < 128 and band.max() == 255  # dark text on white
    assert (tmp_path / "s.gif").is_file()
    # Without --out, the strip goes beside the .keras file.
    (tmp_path / "interpolation.png").unlink()
    assert main(["interpolate", str(model_path), "--steps", "3"]) == 0
    assert (tmp_path / "interpolation.png").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["traverse", str(model_path), "--dims", "4"])
    assert exit_info.value.code == 2
    assert "below the latent size 4" in capsys.readouterr().err
