"""`denoise` and `inpaint` with any zoo model.

The method follows the model:

- VAE and CVAE (`method="inversion"`, the default): the decoder is
  inverted as a GAN's generator is (below), from the encoding of the
  image and from the mean of each component of the fitted latent prior,
  so that the fit chooses between the modes (on digits, roughly the
  classes) rather than refining the first guess.
  `method="encode-decode"`: encode and decode through the posterior
  mean; for inpainting, iterated with the known pixels put back after
  every pass (Rezende, Mohamed & Wierstra, 2014, Appendix F). It is what
  the exports' `denoise` and `inpaint` signatures compute.
- GANs (DCGAN, cGAN, SNGAN, WGAN-GP): GAN inversion,
  `keras_genimg.editing.inversion` (Yeh et al., 2017).
- The diffusion model: RePaint (Lugmayr et al., 2022) for inpainting,
  ancestral steps with the known pixels noised to each step's level,
  resampled (`jump_length`, `resamplings`); for denoising, the noisy
  image is taken as a sample of the forward process at the step whose
  noise matches, and denoised from there (SDEdit, Meng et al., 2022).
"""

import numpy as np
from keras import ops

from keras_genimg.editing.inversion import invert_generator
from keras_genimg.editing.masks import make_mask
from keras_genimg.models.argument_checks import check_count
from keras_genimg.models.diffusion_sampling import noise_draws, noise_parts
from keras_genimg.models.generative_model import to_signed, to_unit
from keras_genimg.models.noise_schedule import timestep_of_noise

CHUNK = 256
# RePaint's resampling, as in its paper (Lugmayr et al., 2022): stretches
# of 10 steps, each run 10 times; 8.2 times the network evaluations of 50
# plain steps, and 18.5 points more judge accuracy on centre-masked
# digits (benchmarks/RESULTS.md).
JUMP_LENGTH, RESAMPLINGS = 10, 10


def inpaint(model, images, mask, labels=None, seed=0, **options):
    """Fills the unknown pixels of images with a zoo model.

    Args:
        model: a zoo model (VAE, CVAE, a GAN or the diffusion model).
        images: float array `(batch, H, W, C)` in [0, 1], the model's
            image shape; the unknown pixels' values are ignored.
        mask: array (1 for known pixels) or a preset of
            `keras_genimg.editing.make_mask`: `"center"`, `"left-half"`,
            `"bottom-half"`, `"random:0.5"`, `"box:X,Y,W,H"`.
        labels: int or ints `(batch,)`: the images' classes, for a
            conditional model (required there).
        seed: int. Seed of random masks, restarts and noise.
        **options: of the method: `method` (VAE: `"inversion"` or
            `"encode-decode"`), `iterations` (encode-decode, default
            10); `steps`, `restarts`, `learning_rate`, `prior_weight`
            (inversion; `restarts` defaults to 4 for GANs, 0 for VAEs);
            `steps`, `jump_length`, `resamplings` (diffusion, defaults
            the model's `sampling_steps` and RePaint's resampling).

    Returns:
        Float32 numpy images in [0, 1], equal to `images` where the mask
        is 1.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import VAE
    >>> vae = VAE((16, 16, 1), latent_dim=2, filters=8, seed=0)
    >>> images = np.random.default_rng(0).random((2, 16, 16, 1), "float32")
    >>> filled = inpaint(vae, images, "center", steps=5)
    >>> bool(np.array_equal(filled[:, :4], images[:, :4]))
    True
    """
    images, labels = _check_inputs(model, images, labels)
    mask = make_mask(mask, model.image_shape, len(images), seed)
    method = _method(model, options, _repaint)
    restored = _in_chunks(method, model, images, mask, labels, seed, options)
    return (mask * images + (1.0 - mask) * restored).astype("float32")


def denoise(model, images, labels=None, noise_std=None, seed=0, **options):
    """Removes noise from images with a zoo model.

    Args:
        model: a zoo model.
        images: float array `(batch, H, W, C)` in [0, 1].
        labels: the images' classes, for a conditional model.
        noise_std: float or None. Standard deviation of the noise (on the
            [0, 1] scale), for the diffusion model; None estimates it
            (Immerkær, 1996).
        seed: int. Seed of restarts.
        **options: of the method, as for `inpaint` (encode-decode's
            `iterations` defaults to 1 here).

    Returns:
        Float32 numpy images in [0, 1].

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import VAE
    >>> vae = VAE((16, 16, 1), latent_dim=2, filters=8, seed=0)
    >>> noisy = np.random.default_rng(0).random((2, 16, 16, 1), "float32")
    >>> denoise(vae, noisy).shape
    (2, 16, 16, 1)
    """
    images, labels = _check_inputs(model, images, labels)
    if noise_std is not None and not (
        isinstance(noise_std, (int, float, np.integer, np.floating))
        and noise_std >= 0
    ):
        raise ValueError(f"`noise_std` must be >= 0. Received: {noise_std!r}")
    if model.is_diffusion:
        if noise_std is None:
            noise_std = float(np.median(estimate_noise_std(images)))
        options["noise_std"] = noise_std
    elif noise_std is not None:
        raise ValueError("`noise_std` is for the diffusion model only.")
    if model.is_autoencoder and options.get("method") == "encode-decode":
        options.setdefault("iterations", 1)
    mask = np.ones_like(images)
    method = _method(model, options, _diffusion_denoise)
    return _in_chunks(method, model, images, mask, labels, seed, options)


def estimate_noise_std(images):
    """Per-image standard deviation of additive Gaussian noise, from the
    response to a Laplacian-difference kernel (Immerkær, 1996).

    Example:
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(0.5, 0.1, (1, 64, 64, 1))
    >>> round(float(estimate_noise_std(noise)[0]), 2)
    0.1
    """
    # Each channel's noise is estimated on its own (their mean would have
    # less noise than each), then the estimates are averaged.
    x = np.moveaxis(np.asarray(images, "float64"), -1, 1)
    response = (
        x[..., :-2, :-2] - 2 * x[..., :-2, 1:-1] + x[..., :-2, 2:]
        - 2 * x[..., 1:-1, :-2] + 4 * x[..., 1:-1, 1:-1]
        - 2 * x[..., 1:-1, 2:]
        + x[..., 2:, :-2] - 2 * x[..., 2:, 1:-1] + x[..., 2:, 2:]
    )  # fmt: skip
    pixels = response.shape[-2] * response.shape[-1]
    per_channel = np.abs(response).sum((-2, -1))
    return np.sqrt(np.pi / 2) / (6 * pixels) * per_channel.mean(axis=1)


# === Methods: (model, images, mask, labels, seed, **options) -> images ===


def _autoencoder_fill(model, images, mask, labels, seed, iterations=10):
    x = _mean_filled(images, mask)
    for _ in range(check_count("iterations", iterations)):
        reconstruction = model.reconstruct(x, labels)
        x = mask * images + (1.0 - mask) * reconstruction
    return reconstruction


def _autoencoder_inversion(model, images, mask, labels, seed, restarts=0,
                           prior_weight=1e-2, **options):  # fmt: skip
    # Starts: the encoding of the image with its unknown pixels at the
    # known ones' mean (prior N(0, I)), and the mean of each component of
    # the fitted prior (each with its component as prior), which on
    # digits is roughly a class: the fit then decides between classes.
    code = model.encode(_mean_filled(images, mask), labels)[0]
    dim = code.shape[1]
    z, means, scales = [code], [np.zeros(dim)], [np.eye(dim)]
    prior = model.prior_parameters()
    if prior is not None:
        _, unique = np.unique(prior[1], axis=0, return_index=True)
        for component in sorted(unique):
            z.append(np.broadcast_to(prior[1][component], code.shape))
            means.append(prior[1][component])
            scales.append(prior[2][component])
    starts = tuple(np.stack(part) for part in (z, means, scales))
    return _inversion(model, images, mask, labels, seed, restarts=restarts,
                      prior_weight=prior_weight, starts=starts,
                      **options)  # fmt: skip


def _mean_filled(images, mask):
    known_mean = (mask * images).sum((1, 2, 3), keepdims=True) / np.maximum(
        mask.sum((1, 2, 3), keepdims=True), 1.0
    )
    return mask * images + (1.0 - mask) * known_mean


def _inversion(model, images, mask, labels, seed, **options):
    _, restored, _ = invert_generator(
        model, images, mask, labels, seed=seed, **options
    )
    return restored


def _repaint(model, images, mask, labels, seed, steps=None,
             jump_length=JUMP_LENGTH, resamplings=RESAMPLINGS):  # fmt: skip
    steps = model.sampling_steps if steps is None else steps
    model.schedule.sampling_timesteps(steps)  # checks `steps`
    resample = (jump_length, resamplings)
    draws = noise_draws(steps, resample)
    # Each image's noise comes from a stream of its own (its first row
    # starts the reverse process), so that it does not depend on the
    # others; drawn up front for every move, in parts to bound it.
    parts = noise_parts(
        seed, len(images), draws + 1, images.shape[1:], CHUNK, stream=2
    )
    restored = []
    for part, noise in parts:
        result = model.sample(
            noise[0], None if labels is None else labels[part], steps,
            model.guidance_scale, sampler="ddpm", fresh_noise=noise[1:],
            known=(to_signed(images[part]), mask[part]), resample=resample,
        )  # fmt: skip
        restored.append(ops.convert_to_numpy(to_unit(result)))
    return np.concatenate(restored)


def _diffusion_denoise(model, images, mask, labels, seed, noise_std,
                       steps=None):  # fmt: skip

    # Noise of std s on [0, 1] is of std 2s on the model's [-1, 1].
    first = timestep_of_noise(model.schedule, 2.0 * noise_std)
    if first == 0:
        return images
    alpha_bar = np.float32(model.schedule.alpha_bar[first])
    x = np.sqrt(alpha_bar) * to_signed(images)
    steps = min(model.sampling_steps if steps is None else steps, first + 1)
    result = model.sample(x, labels, steps, model.guidance_scale,
                          first_timestep=first)  # fmt: skip
    return ops.convert_to_numpy(to_unit(result))


AUTOENCODER_METHODS = {
    "inversion": _autoencoder_inversion,
    "encode-decode": _autoencoder_fill,
}


def _method(model, options, diffusion_method):
    if model.is_autoencoder:
        name = options.pop("method", "inversion")
        if name not in AUTOENCODER_METHODS:
            raise ValueError(
                f"Unknown method {name!r}. Expected one of: "
                f"{', '.join(AUTOENCODER_METHODS)}."
            )
        return AUTOENCODER_METHODS[name]
    if "method" in options:
        raise ValueError("`method` is for the VAEs only.")
    return diffusion_method if model.is_diffusion else _inversion


def _in_chunks(method, model, images, mask, labels, seed, options):
    chunks = []
    for start in range(0, len(images), CHUNK):
        part = slice(start, start + CHUNK)
        chunk_labels = None if labels is None else labels[part]
        restored = method(model, images[part], mask[part], chunk_labels,
                          seed + start, **options)  # fmt: skip
        chunks.append(np.asarray(restored, "float32"))
    return np.concatenate(chunks).clip(0.0, 1.0)


def _check_inputs(model, images, labels):
    images = model.check_images(images)
    if model.is_conditional and labels is None:
        raise ValueError(
            f"This conditional {type(model).__name__} restores images of "
            "a known class: pass `labels`."
        )
    return images, model.check_labels(labels, len(images))
