"""The diffusion model: its noise math, training, samplers and saving."""

import warnings

import keras
import numpy as np
import pytest
from keras import ops

from keras_genimg import models
from keras_genimg.models import (
    DiffusionModel,
    diffusion_sampling,
    noise_schedule,
)
from keras_genimg.models.noise_schedule import NoiseSchedule
from tests.model_checks import assert_save_load_round_trip

SHAPE = (16, 16, 1)


def tiny(**kwargs):
    """A small, seeded diffusion model on 16x16 images, not trained.

    Its U-Net has one level (TensorFlow traces it in half the time of
    two; the test of conditional training builds two), of 16 channels: at
    8, one per group, GroupNorm would take out the timestep's and the
    label's shift."""
    keras.utils.set_random_seed(0)
    options = dict(
        filters=16,
        channel_multipliers=(1,),
        timesteps=20,
        sampling_steps=4,
        seed=0,
    )
    model = DiffusionModel(SHAPE, **{**options, **kwargs})
    _randomize(model)
    return model


def _randomize(model):
    """Nonzero output weights, so that samples depend on the network."""
    rng = np.random.default_rng(1)
    for network in (model.network, model.ema_network):
        if network is None:
            continue
        for weight in network.weights:
            values = rng.normal(0, 0.1, weight.shape).astype("float32")
            if "gamma" in weight.path:
                values += 1.0
            weight.assign(values)


def digits(count=64, seed=0):
    """Blurry squares of random sizes: data a model can learn quickly."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, *SHAPE), "float32")
    for image, size in zip(images, rng.integers(3, 7, count)):
        image[8 - size : 8 + size, 8 - size : 8 + size] = 1.0
    return images


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_schedule_goes_from_signal_to_noise(schedule):
    alpha_bar = NoiseSchedule(schedule, 1000).alpha_bar
    assert np.all(np.diff(alpha_bar) < 0)
    assert alpha_bar[0] > 0.999 and alpha_bar[-1] < 1e-4
    short = NoiseSchedule(schedule, 50).alpha_bar
    assert short[0] > 0.99 and short[-1] < 1e-3
    # Below 21 steps the scaled linear betas would pass 1: they are capped,
    # and every signal level stays above 0.
    for timesteps in (2, 10, 20):
        alpha_bar = NoiseSchedule(schedule, timesteps).alpha_bar
        assert np.all(np.diff(alpha_bar) < 0) and alpha_bar[-1] > 0
        assert alpha_bar[-1] < 0.05


def test_forward_process_has_the_promised_moments():
    schedule = NoiseSchedule("linear", 1000)
    rng = np.random.default_rng(0)
    x0 = np.linspace(-1, 1, 8, dtype="float32")
    for t in (0, 300, 999):
        a = np.float32(schedule.alpha_bar[t])
        noise = rng.standard_normal((20000, 8)).astype("float32")
        x_t = ops.convert_to_numpy(noise_schedule.add_noise(x0, noise, a))
        np.testing.assert_allclose(x_t.mean(0), np.sqrt(a) * x0, atol=0.03)
        np.testing.assert_allclose(x_t.var(0), 1 - a, rtol=0.05, atol=1e-6)


def test_sampling_timesteps_run_down_to_zero():
    schedule = NoiseSchedule("cosine", 100)
    assert schedule.sampling_timesteps(100).tolist() == list(range(99, -1, -1))
    steps = schedule.sampling_timesteps(7)
    assert steps[0] == 99 and steps[-1] == 0 and np.all(np.diff(steps) < 0)
    t, a, previous = schedule.sampling_table(7)
    np.testing.assert_allclose(previous[:-1], a[1:])
    assert previous[-1] == 1.0
    with pytest.raises(ValueError, match=r"\[1, 100\]"):
        schedule.sampling_timesteps(101)


@pytest.mark.parametrize("prediction", ["epsilon", "v"])
def test_a_perfect_prediction_recovers_the_image(prediction):
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, (2, 4, 4, 1)).astype("float32")
    noise = rng.standard_normal(x0.shape).astype("float32")
    a = np.float32(0.3)
    x_t = noise_schedule.add_noise(x0, noise, a)
    target = noise_schedule.training_target(x0, noise, a, prediction)
    found_x0, found_noise = noise_schedule.predicted_x0_and_noise(
        target, x_t, a, prediction
    )
    np.testing.assert_allclose(ops.convert_to_numpy(found_x0), x0, atol=1e-5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(found_noise), noise, atol=1e-5
    )


def _gaussian_denoiser(schedule, covariance):
    """The exact epsilon prediction for data `N(0, covariance)` of images
    `(1, 2, 1)`: `E[x0 | x_t] = sqrt(a) C (a C + (1 - a) I)^-1 x_t`."""
    alpha_bar = ops.convert_to_tensor(schedule.alpha_bar.astype("float32"))
    (c11, c12), (_, c22) = covariance

    def predict(x, t):
        a = ops.take(alpha_bar, ops.cast(t, "int32"))[:, None]
        v0, v1 = x[:, 0, 0], x[:, 0, 1]
        m11, m12, m22 = a * c11 + 1 - a, a * c12, a * c22 + 1 - a
        det = m11 * m22 - m12 * m12
        w0, w1 = (m22 * v0 - m12 * v1) / det, (m11 * v1 - m12 * v0) / det
        x0 = ops.stack([c11 * w0 + c12 * w1, c12 * w0 + c22 * w1], axis=1)
        a = ops.reshape(a, (-1, 1, 1, 1))
        x0 = ops.sqrt(a) * x0[:, None]
        return (x - ops.sqrt(a) * x0) / ops.sqrt(1 - a)

    return predict


@pytest.mark.slow
def test_resampling_brings_inpainting_closer_to_the_true_conditional():
    # Two pixels with correlation 0.9, the first known to be 0.5: the
    # second is then N(0.45, 0.131^2). Plain RePaint, which only puts the
    # known pixel back, leaves the second too close to the prior's mean;
    # resampling (RePaint's jumps back) pulls it towards the truth.
    schedule = NoiseSchedule("cosine", 1000)
    covariance = 0.09 * np.array([[1.0, 0.9], [0.9, 1.0]])
    predict = _gaussian_denoiser(schedule, covariance)
    images = np.zeros((4000, 1, 2, 1), "float32")
    images[:, 0, 0] = 0.5
    mask = np.zeros_like(images)
    mask[:, 0, 0] = 1.0
    rng = np.random.default_rng(0)
    x = rng.standard_normal(images.shape).astype("float32")
    errors = {}
    for resample in [(1, 1), (2, 20)]:
        draws = diffusion_sampling.noise_draws(20, resample)
        fresh = rng.standard_normal((draws, *images.shape)).astype("float32")
        filled = ops.convert_to_numpy(
            diffusion_sampling.reverse_process(
                schedule, predict, x, 20, "epsilon", "ddpm", fresh_noise=fresh,
                known=(images, mask), resample=resample,
            )
        )  # fmt: skip
        np.testing.assert_array_equal(filled[:, 0, 0], images[:, 0, 0])
        errors[resample] = abs(filled[:, 0, 1].mean() - 0.45)
    assert errors[(1, 1)] > 0.1
    assert errors[(2, 20)] < errors[(1, 1)] / 3


def test_resampling_plan_and_its_bad_arguments():
    step_of_move, jump_to = diffusion_sampling.resampling_plan(7, 3, 2)
    # The first stretch once; then each twice, jumping back to its start.
    assert step_of_move.tolist() == [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 6]
    assert jump_to.tolist() == [-1, -1, -1, -1, -1, 3, -1, -1, -1, 6, -1]
    assert diffusion_sampling.noise_draws(7, (3, 2)) == 11 + 2
    with pytest.raises(ValueError, match="`resamplings` must be an int"):
        diffusion_sampling.resampling_plan(7, 3, 0)
    schedule = NoiseSchedule("linear", 20)
    with pytest.raises(ValueError, match="Resampling is for inpainting"):
        diffusion_sampling.reverse_process(
            schedule, lambda x, t: x, np.zeros((1, 2, 2, 1)), 4, "epsilon",
            resample=(2, 2),
        )  # fmt: skip


def test_noise_parts_are_bounded_and_each_images_noise_is_its_own(
    monkeypatch,
):
    def drawn(**options):
        parts = list(
            diffusion_sampling.noise_parts(3, 5, 4, (2, 2, 1), **options)
        )
        covered = np.concatenate([np.arange(5)[part] for part, _ in parts])
        np.testing.assert_array_equal(covered, np.arange(5))
        return parts, np.concatenate([noise for _, noise in parts], axis=1)

    one_part, noise = drawn(batch_size=8)
    assert len(one_part) == 1 and noise.shape == (4, 5, 2, 2, 1)
    assert noise.std() > 0.5
    parts, by_twos = drawn(batch_size=2)
    assert [part.stop - part.start for part, _ in parts] == [2, 2, 1]
    np.testing.assert_array_equal(by_twos, noise)
    # The bound on the noise splits a batch too.
    monkeypatch.setattr(diffusion_sampling, "MAX_NOISE_FLOATS", 2 * 4 * 4)
    parts, bounded = drawn(batch_size=8)
    assert [part.stop - part.start for part, _ in parts] == [2, 2, 1]
    np.testing.assert_array_equal(bounded, noise)


# The loss on a fixed batch going down is checked on every backend, with
# the rest of the backend matrix (tests/backend_checks/zoo_steps.py).


@pytest.mark.slow
def test_ddim_at_eta_zero_is_deterministic_and_follows_z():
    model = tiny()
    z = model.sample_latent(3, seed=5)
    first = model.generate(z=z)
    np.testing.assert_array_equal(first, model.generate(z=z))
    np.testing.assert_array_equal(first, model.generate(num_images=3, seed=5))
    # The noise as images, the shape of a SavedModel's `z`.
    assert model.latent_shape == SHAPE
    as_images = model.generate(z=z.reshape(3, *SHAPE))
    np.testing.assert_array_equal(first, as_images)
    assert first.dtype == np.float32 and first.shape == (3, *SHAPE)
    assert 0.0 <= first.min() and first.max() <= 1.0
    assert np.abs(first[0] - first[1]).mean() > 1e-3
    steps = model.generate(z=z, steps=8)
    assert np.abs(first - steps).mean() > 1e-4


@pytest.mark.slow
def test_a_model_compiled_to_run_eagerly_samples_eagerly():
    model = tiny()
    z = model.sample_latent(2, seed=5)
    compiled = model.generate(z=z)
    compiled_ddpm = model.generate(z=z, sampler="ddpm", steps=3, seed=1)
    model.compile(run_eagerly=True)
    reverse, seen = model._reverse, []

    def eager_only(network, x, *args):
        # Reading the values fails on a traced (compiled) tensor.
        seen.append(ops.convert_to_numpy(x).shape)
        return reverse(network, x, *args)

    model._reverse = eager_only
    np.testing.assert_allclose(model.generate(z=z), compiled, atol=1e-5)
    np.testing.assert_allclose(
        model.generate(z=z, sampler="ddpm", steps=3, seed=1),
        compiled_ddpm,
        atol=1e-5,
    )
    assert seen == [(2, *SHAPE)] * 2


@pytest.mark.slow
def test_ddim_with_eta_one_on_every_timestep_is_ancestral_ddpm():
    model = tiny()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, *SHAPE)).astype("float32")
    fresh = rng.standard_normal((20, 2, *SHAPE)).astype("float32")
    ddpm = model.sample(x, None, 20, 1.0, "ddpm", fresh_noise=fresh)
    ddim = model.sample(x, None, 20, 1.0, "ddim", eta=1.0, fresh_noise=fresh)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ddim), ops.convert_to_numpy(ddpm), atol=1e-4
    )
    # Their mean paths (no fresh noise) are the same too, to the rounding
    # of DDIM's `1 - a_prev - variance`, a difference of near numbers.
    zero = np.zeros_like(fresh)
    ddpm_mean = model.sample(x, None, 20, 1.0, "ddpm", fresh_noise=zero)
    ddim_mean = model.sample(x, None, 20, 1.0, "ddim", 1.0, zero)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ddim_mean),
        ops.convert_to_numpy(ddpm_mean),
        atol=5e-3,
    )
    assert np.abs(ops.convert_to_numpy(ddpm - ddpm_mean)).mean() > 1e-3


@pytest.mark.slow
def test_stochastic_samplers_are_seeded():
    model = tiny()
    a = model.generate(num_images=2, seed=1, sampler="ddpm", steps=10)
    b = model.generate(num_images=2, seed=1, sampler="ddpm", steps=10)
    c = model.generate(num_images=2, seed=1, eta=1.0, steps=10)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - model.generate(num_images=2, seed=1, steps=10)).max() > 0
    assert c.shape == a.shape
    # An image does not depend on the images drawn with it.
    for options in ({"batch_size": 1}, {"num_images": 1}):
        alone = model.generate(
            **{"num_images": 2, **options}, seed=1, sampler="ddpm", steps=10
        )
        np.testing.assert_allclose(alone, a[: len(alone)], atol=1e-4)


@pytest.mark.slow
def test_a_new_guidance_scale_is_what_generate_samples_with():
    model = tiny(num_classes=3)
    labels = [0, 1]
    before = model.generate(num_images=2, seed=0, labels=labels)
    expected = model.generate(
        num_images=2, seed=0, labels=labels, guidance_scale=0.0
    )
    model.guidance_scale = 0.0
    after = model.generate(num_images=2, seed=0, labels=labels)
    assert np.abs(after - before).max() > 1e-3
    np.testing.assert_allclose(after, expected, atol=1e-4)
    assert model.get_config()["guidance_scale"] == 0.0
    with pytest.raises(ValueError, match="`guidance_scale` must be"):
        model.guidance_scale = -1.0


@pytest.mark.slow
def test_guidance_scale_zero_samples_unconditionally():
    model = tiny(num_classes=3)
    x = np.random.default_rng(3).standard_normal((3, *SHAPE)).astype("f4")
    labels = np.array([0, 1, 2], "int32")
    null = np.full(3, 3, "int32")
    guided = model.sample(x, labels, 4, 0.0)
    unconditional = model.sample(x, null, 4, 1.0)
    # Guidance runs the network on a batch twice as large, which XLA
    # rounds differently (3.9e-5 apart on JAX after 4 steps).
    np.testing.assert_allclose(
        ops.convert_to_numpy(guided),
        ops.convert_to_numpy(unconditional),
        atol=1e-4,
    )
    conditional = model.sample(x, labels, 4, 1.0)
    mixed = model.sample(x, labels, 4, 3.0)
    assert np.abs(ops.convert_to_numpy(conditional - guided)).max() > 1e-4
    assert np.abs(ops.convert_to_numpy(mixed - conditional)).max() > 1e-4
    images = model.generate(num_images=3, seed=0, labels=[2, 2, 2])
    assert images.shape == (3, *SHAPE)


@pytest.mark.slow
def test_conditional_training_drops_labels_and_learns():
    model = DiffusionModel(
        SHAPE,
        filters=16,
        channel_multipliers=(1, 1),
        timesteps=20,
        num_classes=2,
        label_dropout=0.5,
        seed=0,
    )
    # Four steps run eagerly in less time than tracing the step takes;
    # tests/backends trains the diffusion model compiled.
    model.compile(run_eagerly=True)
    images = digits(32)
    history = model.fit(
        images, np.arange(32) % 2, epochs=2, batch_size=16, verbose=0
    )
    assert np.all(np.isfinite(history.history["loss"]))
    with pytest.raises(ValueError, match="labelled data"):
        model.fit(images, epochs=1, verbose=0)


@pytest.mark.slow
def test_ema_network_is_what_samples_and_it_lags_the_network():
    model = tiny()
    model.compile(run_eagerly=True)  # as above
    model.fit(digits(32), epochs=2, batch_size=16, verbose=0)
    model.run_eagerly = False  # samples compiled
    raw = [ops.convert_to_numpy(w) for w in model.network.weights]
    average = [ops.convert_to_numpy(w) for w in model.ema_network.weights]
    assert max(np.abs(a - r).max() for a, r in zip(average, raw)) > 1e-6
    z = model.sample_latent(2, seed=0)
    with_ema = model.generate(z=z)
    model.use_ema = False
    assert np.abs(model.generate(z=z) - with_ema).max() > 1e-6
    # Saved while sampling from the raw weights, the average is kept.
    reloaded = DiffusionModel.from_config(model.get_config())
    assert reloaded.ema_network is not None and not reloaded.use_ema
    no_ema = tiny(use_ema=False)
    assert no_ema.ema_network is None
    with pytest.raises(ValueError, match="use_ema=True"):
        no_ema.use_ema = True


@pytest.mark.slow
def test_save_and_load_give_the_same_samples(tmp_path):
    model = tiny(num_classes=3, prediction="v", schedule="linear")
    model.compile(run_eagerly=True)  # as above
    model.fit(digits(16), np.arange(16) % 3, epochs=1, batch_size=8, verbose=0)
    # The same class, config and weights, and the same samples.
    loaded = assert_save_load_round_trip(
        model, tmp_path, z=model.sample_latent(3, seed=4)
    )
    assert int(loaded.optimizer.iterations) == 2
    loaded.sampling_steps = 2
    assert loaded.get_config()["sampling_steps"] == 2


def test_registry_and_bad_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = models.get("ddpm", image_shape=(28, 28, 1), filters=16)
    assert isinstance(model, DiffusionModel) and model.latent_dim == 784
    with pytest.warns(UserWarning, match="U-Net level of 8 channels"):
        DiffusionModel(SHAPE, filters=8, channel_multipliers=(1, 2))
    with pytest.raises(ValueError, match="784 values"):
        models.get("ddpm", image_shape=(28, 28, 1), latent_dim=100)
    with pytest.raises(ValueError, match="divisible by 8"):
        DiffusionModel((28, 28, 1), channel_multipliers=(1, 2, 2, 2))
    with pytest.raises(ValueError, match="multiple of 8"):
        DiffusionModel(SHAPE, filters=12)
    with pytest.raises(ValueError, match="Expected one of: linear, cosine"):
        DiffusionModel(SHAPE, schedule="quadratic")
    with pytest.raises(ValueError, match="Expected one of: epsilon, v"):
        DiffusionModel(SHAPE, prediction="x0")
    model = tiny()
    with pytest.raises(ValueError, match="Expected one of: ddim, ddpm"):
        model.generate(num_images=1, sampler="euler")
    with pytest.raises(ValueError, match=r"\[1, 20\]"):
        model.generate(num_images=1, steps=21)
    with pytest.raises(ValueError, match="guidance_scale"):
        model.generate(num_images=1, guidance_scale=-1.0)
    with pytest.raises(ValueError, match="unconditional"):
        model.generate(num_images=1, steps=2, labels=[0])
