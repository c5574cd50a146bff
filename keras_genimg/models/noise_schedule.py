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
