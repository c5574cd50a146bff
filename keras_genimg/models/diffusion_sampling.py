"""The reverse process of a diffusion model: the sampling loop,
classifier-free guidance, RePaint's resampling and the fresh noise of
stochastic samplers.

No weights live here, as in diffusers' pipelines: the loop takes the
network as a `predict(x_t, t)` function and the step math from
`noise_schedule`. Images are in [-1, 1] here.
"""

import numpy as np
from keras import ops

from keras_genimg.models.noise_schedule import (
    add_noise,
    ddim_step,
    ddpm_step,
    predicted_x0_and_noise,
)

SAMPLERS = ("ddim", "ddpm")
# Fresh-noise floats a stochastic sampler draws per network call, at most.
MAX_NOISE_FLOATS = 2**24


def reverse_process(
    schedule,
    predict,
    x,
    steps,
    prediction,
    sampler="ddim",
    eta=0.0,
    fresh_noise=None,
    known=None,
    first_timestep=None,
    resample=(1, 1),
):
    """Runs the reverse process from `x` down to timestep 0.

    Args:
        schedule: the `NoiseSchedule` the network was trained on.
        predict: callable `(x_t, t) -> output`, `t` float32 `(batch,)`.
        x: float32 `(batch, H, W, C)`, standard normal noise (or an
            image noised to `first_timestep`'s level).
        steps: int. Timesteps visited (`sampling_timesteps`).
        prediction: str. What `predict` returns: `"epsilon"` or `"v"`.
        sampler: str. `"ddim"` or `"ddpm"` (ancestral).
        eta: float. Fresh noise of DDIM steps; 0 is deterministic.
        fresh_noise: `(noise_draws(steps, resample), batch, H, W, C)`
            standard normal noise, for `"ddpm"`, `eta > 0` or `known`.
        known: None, or `(images, mask)`: images in [-1, 1] whose
            pixels where `mask` is 1 are known. After every step those
            pixels are replaced by the known ones noised to the
            step's level (RePaint, Lugmayr et al., 2022), so the last
            step returns them exactly.
        first_timestep: int or None. Start from this timestep rather
            than from `T - 1`.
        resample: `(jump_length, resamplings)`, with `known` only:
            RePaint's resampling, see `resampling_plan`. `(1, 1)`
            visits every step once.

    Returns:
        A float32 tensor of the shape of `x`, in [-1, 1].
    """
    if known is None and tuple(resample) != (1, 1):
        raise ValueError("Resampling is for inpainting: pass `known`.")
    table = schedule.sampling_table(steps, first_timestep)
    step_of_move, jump_to = resampling_plan(steps, *resample)
    # A jump takes the sample from the level a move reached back to the
    # (noisier) level `jump_to` starts at; ratio 1 is no jump.
    jump_ratio = np.where(
        jump_to >= 0, table[1][jump_to] / table[2][step_of_move], 1.0
    )
    jump_row = len(step_of_move) + np.maximum(np.cumsum(jump_to >= 0) - 1, 0)
    timesteps, alpha_bar, previous, step_of_move, jump_ratio, jump_row = (
        ops.convert_to_tensor(column)
        for column in (*table, step_of_move, jump_ratio.astype("float32"),
                       jump_row.astype("int32"))
    )  # fmt: skip
    resampling = bool(np.any(jump_to >= 0))
    if fresh_noise is not None:
        fresh_noise = ops.convert_to_tensor(fresh_noise, "float32")
        draws = noise_draws(steps, resample)
        if fresh_noise.shape[0] not in (None, draws):
            raise ValueError(
                f"`fresh_noise` has {fresh_noise.shape[0]} draws; "
                f"{draws} expected (`noise_draws`)."
            )
    if known is not None:
        known = [ops.convert_to_tensor(part, "float32") for part in known]

    def move(m, x):
        i = ops.take(step_of_move, m)
        a, a_prev = ops.take(alpha_bar, i), ops.take(previous, i)
        t = ops.zeros_like(x[:, 0, 0, 0]) + ops.take(timesteps, i)
        x0, noise = predicted_x0_and_noise(predict(x, t), x, a, prediction)
        fresh = None
        if fresh_noise is not None:
            fresh = ops.take(fresh_noise, m, axis=0)
        if sampler == "ddpm":
            x = ddpm_step(x, x0, a_prev, a, fresh)
        else:
            x = ddim_step(x0, noise, a_prev, a, eta, fresh)
        if known is None:
            return x
        images, mask = known
        noised = add_noise(images, fresh, a_prev)
        x = mask * noised + (1.0 - mask) * x
        if not resampling:
            return x
        ratio = ops.take(jump_ratio, m)
        jump_noise = ops.take(fresh_noise, ops.take(jump_row, m), axis=0)
        return ops.sqrt(ratio) * x + ops.sqrt(1.0 - ratio) * jump_noise

    moves = int(step_of_move.shape[0])
    return ops.fori_loop(0, moves, move, ops.cast(x, "float32"))


def guided_prediction(network, x, t, labels, guidance_scale, null_label):
    """The network's prediction for `x_t`, classifier-free guided (Ho &
    Salimans, 2021): `uncond + guidance_scale * (cond - uncond)`.

    Args:
        network: the U-Net, called on `[x, t]` or `[x, t, labels]`.
        x, t: the noisy images and their timesteps, float32.
        labels: int32 `(batch,)`, or None for an unconditional network.
        guidance_scale: float. 0 predicts unconditionally, 1 from the
            label alone (one network call, not two).
        null_label: int. The label meaning "no label".

    Returns:
        The prediction, of the shape of `x`.

    Example:
    >>> def network(inputs, training=False):  # predicts its label
    ...     return ops.cast(ops.reshape(inputs[2], (-1, 1)), "float32")
    >>> x, t = np.zeros((2, 1), "float32"), np.zeros(2, "float32")
    >>> labels = np.array([1, 2], "int32")
    >>> guided = guided_prediction(network, x, t, labels, 3.0, null_label=0)
    >>> ops.convert_to_numpy(guided).ravel().tolist()  # 0 + 3 * (label - 0)
    [3.0, 6.0]
    """
    if labels is None:
        return network([x, t], training=False)
    if guidance_scale == 1.0:
        return network([x, t, labels], training=False)
    null = ops.full_like(labels, null_label)
    both = network(
        [
            ops.concatenate([x, x]),
            ops.concatenate([t, t]),
            ops.concatenate([labels, null]),
        ],
        training=False,
    )
    conditional, unconditional = ops.split(both, 2)
    return unconditional + guidance_scale * (conditional - unconditional)


def resampling_plan(steps, jump_length=1, resamplings=1):
    """The order in which RePaint (Lugmayr et al., 2022) visits the
    sampling steps: in stretches of `jump_length` steps, each stretch
    run `resamplings` times, the sample taken back to the stretch's
    start level with fresh forward noise between runs, so that what is
    generated harmonises with the known pixels. The first stretch, from
    pure noise, runs once: a jump back to pure noise would undo it.

    Args:
        steps: int. Sampling steps visited.
        jump_length: int >= 1. Steps of a stretch.
        resamplings: int >= 1. Runs of a stretch; 1 is plain sampling.

    Returns:
        `(step_of_move, jump_to)`: int32 arrays `(moves,)`: the sampling
        step (a row of `sampling_table`) each move takes, and after it,
        -1 or the step whose level the sample jumps back to.

    Example:
    >>> step_of_move, jump_to = resampling_plan(4, jump_length=2,
    ...                                         resamplings=2)
    >>> step_of_move.tolist(), jump_to.tolist()
    ([0, 1, 2, 3, 2, 3], [-1, -1, -1, 2, -1, -1])
    """
    for name, value in (("jump_length", jump_length),
                        ("resamplings", resamplings)):  # fmt: skip
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(
                f"`{name}` must be an int >= 1. Received: {value!r}"
            )
    step_of_move, jump_to = [], []
    for start in range(0, steps, jump_length):
        end = min(start + jump_length, steps)
        runs = 1 if start == 0 else resamplings
        for run in range(runs):
            step_of_move.extend(range(start, end))
            jump_to.extend([-1] * (end - start - 1))
            jump_to.append(start if run < runs - 1 else -1)
    return np.array(step_of_move, "int32"), np.array(jump_to, "int32")


def noise_draws(steps, resample=(1, 1)):
    """Rows of `fresh_noise` that `NoiseSchedule.reverse` takes: one per
    move, and one per jump back of RePaint's resampling.

    Example:
    >>> noise_draws(50), noise_draws(50, resample=(10, 10))
    (50, 446)
    """
    step_of_move, jump_to = resampling_plan(steps, *resample)
    return len(step_of_move) + int(np.sum(jump_to >= 0))


def image_noise(seed, first, count, shape, stream=1):
    """Standard normal noise `(count, *shape)` for the images `first` to
    `first + count - 1`.

    Each image draws from a generator of its own, seeded with `(seed,
    stream, index)`, so that its noise does not depend on the images
    drawn with it; `stream` tells apart the uses of one seed. New noise
    where `seed` is None.

    Example:
    >>> both = image_noise(0, 0, 2, (3,))
    >>> bool((image_noise(0, 1, 1, (3,))[0] == both[1]).all())
    True
    """
    if seed is None:
        return np.random.default_rng().standard_normal((count, *shape), "f4")
    return np.stack(
        [
            np.random.default_rng([seed, stream, first + i]).standard_normal(
                shape, "float32"
            )
            for i in range(count)
        ]
    )


def noise_parts(seed, num_images, draws, image_shape, batch_size, stream=1):
    """Splits `num_images` images into parts of at most `batch_size`
    images and `MAX_NOISE_FLOATS` floats of noise, and draws each part's.

    Each image's noise comes from `image_noise`, so it is the same
    whatever part the image falls in.

    Args:
        seed: int or None. Seed of the noise (None: new noise).
        num_images: int. Images to sample.
        draws: int. Standard normal images drawn per image (0: none).
        image_shape: tuple. `(H, W, C)`.
        batch_size: int. Images per part, at most.
        stream: int. Tells apart the uses of one seed (`image_noise`).

    Yields:
        `(part, noise)`: the part's images as a `slice`, and their noise
        `(draws, count, *image_shape)` float32 (None where `draws` is 0).

    Example:
    >>> for part, noise in noise_parts(0, 3, 4, (2,), batch_size=2):
    ...     print(part, noise.shape)
    slice(0, 2, None) (4, 2, 2)
    slice(2, 3, None) (4, 1, 2)
    """
    per_image = max(draws, 1) * int(np.prod(image_shape))
    size = max(1, min(batch_size, MAX_NOISE_FLOATS // per_image))
    for start in range(0, num_images, size):
        count = min(size, num_images - start)
        noise = None
        if draws:
            noise = image_noise(
                seed, start, count, (draws, *image_shape), stream
            )
            noise = np.moveaxis(noise, 0, 1)
        yield slice(start, start + count), noise
