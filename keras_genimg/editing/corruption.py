"""Corruptions to restore: Gaussian and salt-and-pepper noise.

What a benchmark or a demo applies to clean images before `denoise`.
"""

import re

import numpy as np

PRESETS = ("gaussian:SIGMA", "salt-and-pepper:AMOUNT")


def corrupt(images, spec, seed=0):
    """Adds noise to images in [0, 1]; returns float32 images in [0, 1].

    Args:
        images: float array `(batch, H, W, C)` in [0, 1].
        spec: str. `"gaussian:SIGMA"` (additive Gaussian noise of standard
            deviation SIGMA, clipped to [0, 1]) or
            `"salt-and-pepper:AMOUNT"` (a fraction AMOUNT of the pixels set
            to 0 or 1, half each).
        seed: int. Seed of the noise.

    Example:
    >>> import numpy as np
    >>> images = np.full((1, 8, 8, 1), 0.5, "float32")
    >>> sorted(set(corrupt(images, "salt-and-pepper:1.0").ravel().tolist()))
    [0.0, 1.0]
    >>> round(float(corrupt(images, "gaussian:0.1").std()), 1)
    0.1
    """
    images = np.asarray(images, "float32")
    rng = np.random.default_rng(seed)
    if match := re.fullmatch(r"gaussian:([0-9.]+)", spec):
        sigma = float(match.group(1))
        noisy = images + rng.normal(0.0, sigma, images.shape)
        return noisy.clip(0.0, 1.0).astype("float32")
    if match := re.fullmatch(r"salt-and-pepper:([0-9.]+)", spec):
        amount = float(match.group(1))
        if not 0.0 <= amount <= 1.0:
            raise ValueError(f"Noise {spec!r}: the amount must be in [0, 1].")
        noisy = images.copy()
        hit = rng.random(images.shape) < amount
        noisy[hit] = (rng.random(images.shape) < 0.5)[hit]
        return noisy
    raise ValueError(
        f"Unknown noise {spec!r}. Expected one of: {', '.join(PRESETS)}."
    )
