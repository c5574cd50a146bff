"""The math of a diffusion model's noise: schedules and sampling steps.

No weights live here: a `NoiseSchedule` holds the cumulative signal
levels `alpha_bar[t]` of the forward process

    q(x_t | x_0) = N(sqrt(alpha_bar[t]) x_0, (1 - alpha_bar[t]) I),

for timesteps `t = 0 .. timesteps - 1`, and the functions below turn a
network's prediction into one step of the reverse process (DDPM, Ho et
al., 2020; DDIM, Song et al., 2021). Images are in [-1, 1] here.
"""

import math

import numpy as np
from keras import ops

SCHEDULES = ("linear", "cosine")
PREDICTIONS = ("epsilon", "v")
# The largest beta: a step keeps a thousandth of the signal at least.
MAX_BETA = 0.999


class NoiseSchedule:
    """The signal levels `alpha_bar[t]` of a forward diffusion process.

    `"linear"` is the schedule of Ho et al. (2020), betas from 1e-4 to
    0.02 over 1000 steps (scaled by `1000 / timesteps` for other lengths,
    as Nichol & Dhariwal do); `"cosine"` is Nichol & Dhariwal's (2021)
    `alpha_bar(t) = cos((t / T + s) / (1 + s) * pi / 2) ** 2`, which
    destroys small images less abruptly. Betas are capped at 0.999 (the
    scaled linear ones pass 1 below 21 steps), so that every signal
    level is above 0.

    Args:
        schedule: str. `"linear"` or `"cosine"`.
        timesteps: int. Number of diffusion steps `T`.

    Example:
    >>> schedule = NoiseSchedule("cosine", 1000)
    >>> alpha_bar = schedule.alpha_bar
    >>> bool(alpha_bar[0] > 0.9999), bool(alpha_bar[-1] < 1e-8)
    (True, True)
    >>> schedule.sampling_timesteps(4).tolist()
    [999, 666, 333, 0]
    """

    def __init__(self, schedule, timesteps):
        if schedule not in SCHEDULES:
            raise ValueError(
                f"Unknown noise schedule {schedule!r}. Expected one of: "
                f"{', '.join(SCHEDULES)}."
            )
        if not isinstance(timesteps, (int, np.integer)) or timesteps < 2:
            raise ValueError(
                f"`timesteps` must be an int >= 2. Received: {timesteps!r}"
            )
        self.schedule = schedule
        self.timesteps = int(timesteps)
        if schedule == "linear":
            scale = 1000.0 / timesteps
            betas = np.linspace(scale * 1e-4, scale * 0.02, timesteps)
        else:
            s = 0.008
            t = np.arange(timesteps + 1, dtype="float64") / timesteps
            f = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
            betas = 1.0 - f[1:] / f[:-1]
        betas = np.minimum(betas, MAX_BETA)
        # float64 numpy: the tables below are exact to float32.
        self.alpha_bar = np.cumprod(1.0 - betas)

    def sampling_timesteps(self, steps, first=None):
        """The `steps` timesteps a sampler visits, from `first` (by
        default `T - 1`) down to 0.

        Evenly spaced; `steps = timesteps` visits every one of them.
        """
        first = self.timesteps - 1 if first is None else int(first)
        if not 0 <= first < self.timesteps:
            raise ValueError(
                f"The first timestep must be in [0, {self.timesteps}). "
                f"Received: {first}"
            )
        if not isinstance(steps, (int, np.integer)) or not (
            1 <= steps <= first + 1
        ):
            raise ValueError(
                f"`steps` must be an int in [1, {first + 1}]. "
                f"Received: {steps!r}"
            )
        spaced = np.linspace(first, 0, int(steps))
        return np.round(spaced).astype("int32")

    def sampling_table(self, steps, first=None):
        """What each sampling step needs, as float32 arrays `(steps,)`,
        for the timesteps of `sampling_timesteps(steps, first)`.

        Returns:
            `(timesteps, alpha_bar, alpha_bar_previous)`: the timestep the
            network sees, its `alpha_bar`, and the `alpha_bar` of the next
            (less noisy) timestep visited, 1 after the last.
        """
        timesteps = self.sampling_timesteps(steps, first)
        alpha_bar = self.alpha_bar[timesteps]
        previous = np.append(alpha_bar[1:], 1.0)
        return (
            timesteps.astype("float32"),
            alpha_bar.astype("float32"),
            previous.astype("float32"),
        )

    def reverse(
        self,
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
        table = self.sampling_table(steps, first_timestep)
        step_of_move, jump_to = resampling_plan(steps, *resample)
        # A jump takes the sample from the level a move reached back to the
        # (noisier) level `jump_to` starts at; ratio 1 is no jump.
        jump_ratio = np.where(
            jump_to >= 0, table[1][jump_to] / table[2][step_of_move], 1.0
        )
        jump_row = len(step_of_move) + np.maximum(
            np.cumsum(jump_to >= 0) - 1, 0
        )
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


def timestep_of_noise(schedule, sigma):
    """The timestep whose noise matches Gaussian noise of standard
    deviation `sigma` added to an image in [-1, 1]: `sqrt(a) * noisy` is
    then a draw of `q(x_t | x_0)`, as `(1 - a) / a = sigma ** 2`.

    Example:
    >>> timestep_of_noise(NoiseSchedule("linear", 1000), 0.0)
    0
    """
    target = 1.0 / (1.0 + sigma**2)
    return int(np.argmin(np.abs(schedule.alpha_bar - target)))


def add_noise(x0, noise, alpha_bar):
    """A draw of `q(x_t | x_0)`: `sqrt(a) x_0 + sqrt(1 - a) noise`."""
    return ops.sqrt(alpha_bar) * x0 + ops.sqrt(1.0 - alpha_bar) * noise


def training_target(x0, noise, alpha_bar, prediction):
    """What the network learns to predict from `x_t`: the noise
    (`"epsilon"`, Ho et al.) or the velocity
    `v = sqrt(a) noise - sqrt(1 - a) x_0` (`"v"`, Salimans & Ho, 2022)."""
    if prediction == "epsilon":
        return noise
    return ops.sqrt(alpha_bar) * noise - ops.sqrt(1.0 - alpha_bar) * x0


def predicted_x0_and_noise(output, x_t, alpha_bar, prediction):
    """The clean image and the noise a network's `output` implies.

    The clean image is clipped to [-1, 1], and the noise recomputed from
    it, so a poor prediction at high noise cannot push samples out of
    the image range.

    Returns:
        `(x0, noise)`, tensors of the shape of `x_t`.
    """
    signal, sigma = ops.sqrt(alpha_bar), ops.sqrt(1.0 - alpha_bar)
    if prediction == "epsilon":
        x0 = (x_t - sigma * output) / signal
    else:
        x0 = signal * x_t - sigma * output
    x0 = ops.clip(x0, -1.0, 1.0)
    return x0, (x_t - signal * x0) / sigma


def ddim_step(x0, noise, alpha_bar_previous, alpha_bar, eta, fresh_noise):
    """One DDIM step (Song et al., 2021) to the previous timestep visited.

    `eta = 0` is deterministic; `eta = 1` with every timestep visited is
    the ancestral sampler of DDPM (`ddpm_step`).

    Args:
        x0, noise: from `predicted_x0_and_noise`.
        alpha_bar_previous, alpha_bar: `alpha_bar` of the previous and of
            the current timestep.
        eta: float. Scale of the fresh noise.
        fresh_noise: a standard normal draw of the shape of `x0`, or None
            when `eta` is 0.
    """
    a, a_prev = alpha_bar, alpha_bar_previous
    variance = eta**2 * (1.0 - a_prev) / (1.0 - a) * (1.0 - a / a_prev)
    x = ops.sqrt(a_prev) * x0 + ops.sqrt(1.0 - a_prev - variance) * noise
    if fresh_noise is None:
        return x
    return x + ops.sqrt(variance) * fresh_noise


def ddpm_step(x_t, x0, alpha_bar_previous, alpha_bar, fresh_noise):
    """One ancestral step of DDPM (Ho et al., 2020): a draw of the
    posterior `q(x_{t-1} | x_t, x_0)` with the predicted `x0`.

    With timesteps skipped, `beta = 1 - alpha_bar / alpha_bar_previous`
    is the beta of the skipped stretch.
    """
    a, a_prev = alpha_bar, alpha_bar_previous
    beta = 1.0 - a / a_prev
    mean = (
        ops.sqrt(a_prev) * beta * x0
        + ops.sqrt(1.0 - beta) * (1.0 - a_prev) * x_t
    ) / (1.0 - a)
    variance = beta * (1.0 - a_prev) / (1.0 - a)
    return mean + ops.sqrt(variance) * fresh_noise
