"""Image editing: masks, noise, and denoise/inpaint with the zoo's models."""

import keras
import numpy as np
import pytest

from keras_genimg import editing
from keras_genimg.models import DCGAN, VAE
from tests.models.test_diffusion import tiny as tiny_diffusion

SHAPE = (16, 16, 1)


def squares(count, seed=0):
    """Bright squares of random size and place: data learnt in seconds."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, *SHAPE), "float32")
    for image in images:
        size = rng.integers(5, 10)
        top, left = rng.integers(0, 16 - size, 2)
        image[top : top + size, left : left + size] = 1.0
    return images


def test_mask_presets_mark_the_promised_pixels():
    center = editing.make_mask("center", (28, 28, 1))[0, :, :, 0]
    assert center[7:21, 7:21].sum() == 0 and center.sum() == 28 * 28 - 196
    left = editing.make_mask("left-half", (4, 4, 3))
    assert left.shape == (1, 4, 4, 3)
    assert left[0, :, :2].sum() == 0 and left[0, :, 2:].min() == 1
    bottom = editing.make_mask("bottom-half", (4, 4, 1), num_images=2)
    assert bottom.shape == (2, 4, 4, 1) and bottom[:, 2:].sum() == 0
    random = editing.make_mask("random:0.5", (28, 28, 1), 4, seed=1)
    assert 0.4 < 1 - random.mean() < 0.6
    assert not np.array_equal(random[0], random[1])
    np.testing.assert_array_equal(
        random, editing.make_mask("random:0.5", (28, 28, 1), 4, seed=1)
    )
    box = editing.make_mask("box:1,2,3,1", (4, 5, 1))[0, :, :, 0]
    assert box[2, 1:4].sum() == 0 and box.sum() == 20 - 3
    array = editing.make_mask(np.ones((16, 16)) - np.eye(16), SHAPE, 3)
    assert array.shape == (3, *SHAPE) and array.dtype == np.float32
    # (batch, H, W) masks, of a batch as large as the images are high.
    per_image = np.stack([np.ones((16, 16)) - np.eye(16)] * 16)
    per_image[3] = 1 - np.eye(16)[::-1]
    array = editing.make_mask(per_image, SHAPE, 16)
    np.testing.assert_array_equal(array[..., 0], per_image)


@pytest.mark.parametrize(
    "mask,message",
    [
        (np.ones((8, 8)), "height and width"),
        (np.full((16, 16), 0.5), "other values, e.g. 0.5"),
        (np.ones((16, 16)), "every pixel known"),
        (np.zeros((16, 16)), "every pixel unknown"),
        ("diagonal", "Expected an array or one of: center"),
        ("box:10,10,8,8", "does not fit"),
        ("random:1.5", r"in \(0, 1\)"),
    ],
)
def test_bad_masks_fail_with_one_clear_line(mask, message):
    with pytest.raises(ValueError, match=message) as error:
        editing.make_mask(mask, SHAPE, 2)
    assert "\n" not in str(error.value)


def test_noise_presets():
    images = np.full((2, 32, 32, 1), 0.5, "float32")
    noisy = editing.corrupt(images, "gaussian:0.1", seed=0)
    assert abs((noisy - images).std() - 0.1) < 0.01
    np.testing.assert_array_equal(
        noisy, editing.corrupt(images, "gaussian:0.1", seed=0)
    )
    sp = editing.corrupt(images, "salt-and-pepper:0.2", seed=0)
    hit = sp != 0.5
    assert 0.15 < hit.mean() < 0.25 and set(np.unique(sp[hit])) == {0, 1}
    estimated = editing.estimate_noise_std(noisy)
    np.testing.assert_allclose(estimated, 0.1, atol=0.015)
    # On RGB images, each channel's own noise.
    rgb = editing.corrupt(np.full((2, 32, 32, 3), 0.5, "f4"), "gaussian:0.1")
    np.testing.assert_allclose(editing.estimate_noise_std(rgb), 0.1, atol=0.015)
    with pytest.raises(ValueError, match="Expected one of: gaussian"):
        editing.corrupt(images, "blur:2")


def tiny_models():
    keras.utils.set_random_seed(0)
    return {
        "vae": VAE(SHAPE, latent_dim=2, filters=8, seed=0),
        "dcgan": DCGAN(SHAPE, latent_dim=4, filters=8, seed=0),
        "ddpm": tiny_diffusion(sampling_steps=5),
    }


@pytest.mark.slow
def test_known_pixels_come_back_exactly_with_every_model():
    images = squares(3)
    mask = editing.make_mask("random:0.5", SHAPE, 3, seed=2)
    options = [
        ("vae", {"steps": 5}),
        ("vae", {"method": "encode-decode", "iterations": 2}),
        ("dcgan", {"steps": 5}),
        ("ddpm", {}),
        ("ddpm", {"jump_length": 2, "resamplings": 3}),
    ]
    models = tiny_models()
    for name, method_options in options:
        model = models[name]
        filled = editing.inpaint(model, images, mask, **method_options)
        assert filled.dtype == np.float32 and filled.shape == images.shape
        np.testing.assert_array_equal(filled[mask == 1], images[mask == 1])
        assert 0.0 <= filled.min() and filled.max() <= 1.0
        if name == "ddpm":  # RePaint's noise: each image's its own
            alone = editing.inpaint(
                model, images[:1], mask[:1], **method_options
            )
            np.testing.assert_allclose(alone, filled[:1], atol=1e-4)
        if "jump_length" not in method_options:
            denoised = editing.denoise(model, images, **method_options)
            assert denoised.shape == images.shape


@pytest.mark.slow
def test_a_trained_vae_fills_holes_better_than_the_mean():
    keras.utils.set_random_seed(0)
    vae = VAE(SHAPE, latent_dim=4, filters=16, seed=0)
    vae.compile()
    vae.fit(squares(512), batch_size=64, epochs=25, verbose=0)
    held_out = squares(64, seed=9)
    mask = editing.make_mask("random:0.5", SHAPE, 64, seed=0)
    unknown = mask == 0
    known_mean = (mask * held_out).sum((1, 2, 3)) / mask.sum((1, 2, 3))
    mean_fill = np.broadcast_to(known_mean[:, None, None, None], mask.shape)
    mean_error = np.mean((mean_fill - held_out)[unknown] ** 2)
    for method in ("inversion", "encode-decode"):
        filled = editing.inpaint(vae, held_out, mask, method=method)
        vae_error = np.mean((filled - held_out)[unknown] ** 2)
        assert vae_error < 0.5 * mean_error, method


def test_gan_inversion_recovers_a_generated_image():
    keras.utils.set_random_seed(0)
    gan = DCGAN(SHAPE, latent_dim=4, filters=8, seed=0)
    target = gan.generate(num_images=2, seed=3)
    mask = editing.make_mask("bottom-half", SHAPE, 2)
    _, images, loss = editing.invert_generator(
        gan, target, mask, steps=100, restarts=3, prior_weight=0.0
    )
    assert np.all(loss < 2e-3)
    start = gan.generate(num_images=2, seed=0)
    assert np.all(np.mean((start - target) ** 2, axis=(1, 2, 3)) > 10 * loss)
    # The unknown half follows from the known one.
    unknown = mask == 0
    assert np.mean((images - target)[unknown] ** 2) < 2e-2


def test_inversion_keeps_the_best_of_the_given_starts():
    gan = DCGAN(SHAPE, latent_dim=4, filters=8, seed=0)
    truth = gan.sample_latent(2, seed=3)
    target = gan.generate(z=truth)
    mask = editing.make_mask("center", SHAPE, 2)
    # No steps: the best start wins, here the true code among 3 random.
    standard = (np.zeros((1, 4)), np.eye(4)[None])
    z, images, loss = editing.invert_generator(
        gan, target, mask, steps=0, restarts=3, starts=(truth[None], *standard)
    )
    np.testing.assert_allclose(z, truth)
    np.testing.assert_allclose(images, target, atol=1e-6)
    assert np.all(loss < 1e-10)
    # A start's own Gaussian is its prior: a narrow one pulls `z` to its
    # mean, away from the code that fits.
    anchor = np.array([[1.0, -1.0, 0.5, 0.0]])
    narrow = (truth[None], anchor, 0.01 * np.eye(4)[None])
    z, _, _ = editing.invert_generator(
        gan, target, mask, steps=300, restarts=0, prior_weight=10.0,
        starts=narrow,
    )  # fmt: skip
    np.testing.assert_allclose(z, np.repeat(anchor, 2, 0), atol=0.05)
    with pytest.raises(ValueError, match="`restarts` >= 1 or `starts`"):
        editing.invert_generator(gan, target, mask, restarts=0)


def test_max_steps_caps_the_inversion(monkeypatch):
    gan = DCGAN(SHAPE, latent_dim=4, filters=8, seed=0)
    target = gan.generate(num_images=2, seed=3)
    mask = editing.make_mask("center", SHAPE, 2)
    three = editing.invert_generator(gan, target, mask, steps=3, restarts=1)
    monkeypatch.setenv("GENIMG_MAX_STEPS", "3")
    capped = editing.invert_generator(gan, target, mask, steps=50, restarts=1)
    for expected, found in zip(three, capped, strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-6)
    monkeypatch.setenv("GENIMG_MAX_STEPS", "4")
    four = editing.invert_generator(gan, target, mask, steps=50, restarts=1)
    assert np.abs(four[0] - three[0]).max() > 1e-6


def test_gaussian_prior_term_is_the_mahalanobis_distance():
    rng = np.random.default_rng(0)
    scales = np.tril(rng.normal(0, 0.5, (2, 3, 3))) + 2 * np.eye(3)
    means = rng.normal(0, 1, (2, 1, 3))
    z = rng.normal(0, 1, (2, 5, 3))
    term = editing.inversion.gaussian_prior_term(
        z.astype("float32"), means.astype("float32"),
        np.linalg.inv(scales).astype("float32"),
    )  # fmt: skip
    precision = np.linalg.inv(scales @ scales.transpose(0, 2, 1))
    offset = z - means
    expected = np.einsum("rbi,rij,rbj->rb", offset, precision, offset) / 3
    np.testing.assert_allclose(np.asarray(term), expected, rtol=1e-5)


def test_bad_inputs_fail_before_any_work():
    models = tiny_models()
    vae = models["vae"]
    images = squares(2)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        editing.inpaint(vae, images * 2, "center")
    with pytest.raises(ValueError, match=r"shape \(batch, 16, 16, 1\)"):
        editing.denoise(vae, np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="takes no `labels`"):
        editing.inpaint(vae, images, "center", labels=[0, 1])
    cvae = VAE(SHAPE, latent_dim=2, filters=8, num_classes=3)
    with pytest.raises(ValueError, match="pass `labels`"):
        editing.inpaint(cvae, images, "center")
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        editing.inpaint(cvae, images, "center", labels=[0, 3])
    with pytest.raises(ValueError, match="diffusion model only"):
        editing.denoise(vae, images, noise_std=0.3)
    with pytest.raises(ValueError, match="`noise_std` must be >= 0"):
        editing.denoise(models["ddpm"], images, noise_std=-0.1)
    with pytest.raises(ValueError, match="`iterations` must be"):
        editing.inpaint(vae, images, "center", method="encode-decode",
                        iterations=0)  # fmt: skip
    with pytest.raises(ValueError, match="Unknown method 'gibbs'"):
        editing.inpaint(vae, images, "center", method="gibbs")
    with pytest.raises(ValueError, match="for the VAEs only"):
        editing.inpaint(models["dcgan"], images, "center", method="inversion")
    with pytest.raises(ValueError, match="`resamplings` must be an int"):
        editing.inpaint(models["ddpm"], images, "center", resamplings=0)


@pytest.mark.slow
def test_inpaint_and_denoise_commands(tmp_path, capsys):
    from keras_genimg.cli.main import main

    vae = VAE(SHAPE, latent_dim=2, filters=8, seed=0)
    vae.save(tmp_path / "vae.keras")
    images = squares(5)
    np.savez(tmp_path / "images.npz", x=images)
    source = str(tmp_path / "images.npz")
    out = tmp_path / "inpainted"
    assert main(["inpaint", str(tmp_path / "vae.keras"), "--images", source,
                 "--mask", "left-half", "--out", str(out)]) == 0  # fmt: skip
    restored = np.load(out / "restored.npz")["images"]
    expected = editing.inpaint(vae, images, "left-half")
    np.testing.assert_allclose(restored, expected, atol=1e-6)
    assert (out / "strip.png").stat().st_size > 0
    out = tmp_path / "denoised"
    command = ["denoise", str(tmp_path / "vae.keras"), "--images", source,
               "--noise", "gaussian:0.2", "--out", str(out)]  # fmt: skip
    assert main(command) == 0
    noisy = editing.corrupt(images, "gaussian:0.2", seed=0)
    np.testing.assert_allclose(
        np.load(out / "restored.npz")["images"],
        editing.denoise(vae, noisy),
        atol=1e-6,
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["inpaint", str(tmp_path / "vae.keras"), "--images", source,
              "--mask", "diagonal", "--out", str(out)])  # fmt: skip
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Unknown mask 'diagonal'" in error
    # The noise level reaches the diffusion model.
    ddpm = tiny_diffusion(sampling_steps=5)
    ddpm.save(tmp_path / "ddpm.keras")
    command[1] = str(tmp_path / "ddpm.keras")
    assert main(command + ["--noise-std", "0.3"]) == 0
    given = np.load(out / "restored.npz")["images"]
    np.testing.assert_allclose(
        given, editing.denoise(ddpm, noisy, noise_std=0.3), atol=1e-6
    )
    assert np.abs(given - editing.denoise(ddpm, noisy)).max() > 1e-3
    command[1] = str(tmp_path / "vae.keras")
    with pytest.raises(SystemExit) as exit_info:
        main(command + ["--noise-std", "0.2"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "diffusion model only" in error
