"""Paths between latent vectors, and between two real images via a VAE."""

import numpy as np

METHODS = ("slerp", "linear")
# Below this angle (radians) two vectors count as parallel.
PARALLEL_ANGLE = 1e-6


def interpolate(z0, z1, steps, method="slerp"):
    """Points on a path from `z0` to `z1`, both ends included.

    `"slerp"` follows the great circle between the two vectors (White,
    "Sampling Generative Networks", 2016): with a Gaussian prior, samples
    concentrate near a sphere, and a straight line between two of them
    passes through the improbable region near the origin. Two vectors of
    the same norm give points of that norm; (anti)parallel vectors, whose
    great circle is undefined, fall back to `"linear"`.

    Args:
        z0: float array `(..., latent_dim)`. The start.
        z1: float array of the same shape. The end.
        steps: int. Number of points, at least 2.
        method: str. `"slerp"` (the default) or `"linear"`.

    Returns:
        A float32 array `(steps, ..., latent_dim)`; `[0]` is `z0` and
        `[-1]` is `z1`.

    Example:
    >>> path = interpolate(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 3)
    >>> path.round(3)
    array([[1.   , 0.   ],
           [0.707, 0.707],
           [0.   , 1.   ]], dtype=float32)
    >>> np.linalg.norm(path, axis=-1).round(3)
    array([1., 1., 1.], dtype=float32)
    """
    if method not in METHODS:
        raise ValueError(
            f"Unknown method {method!r}. Expected one of: {', '.join(METHODS)}."
        )
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"`steps` must be an int >= 2. Received: {steps!r}")
    z0, z1 = np.asarray(z0, "float64"), np.asarray(z1, "float64")
    if z0.shape != z1.shape or z0.ndim == 0:
        raise ValueError(
            "`z0` and `z1` must be latent vectors of the same shape. "
            f"Received shapes {z0.shape} and {z1.shape}."
        )
    t = np.linspace(0.0, 1.0, steps).reshape((steps,) + (1,) * z0.ndim)
    linear = (1.0 - t) * z0 + t * z1
    if method == "linear":
        return linear.astype("float32")
    norms = np.linalg.norm(z0, axis=-1, keepdims=True) * np.linalg.norm(
        z1, axis=-1, keepdims=True
    )
    cosine = np.sum(z0 * z1, axis=-1, keepdims=True) / np.maximum(norms, 1e-30)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    sin_omega = np.sin(omega)
    curved = np.sin(omega - t * omega) * z0 + np.sin(t * omega) * z1
    defined = (omega > PARALLEL_ANGLE) & (np.pi - omega > PARALLEL_ANGLE)
    path = np.where(defined, curved / np.where(defined, sin_omega, 1.0), linear)
    # The ends are the inputs exactly, not up to rounding.
    path[0], path[-1] = z0, z1
    return path.astype("float32")


def interpolate_images(
    model, image0, image1, steps, method="slerp", label=None
):
    """Encodes two images, interpolates their codes and decodes the path.

    Args:
        model: a model with `encode` and `decode`: a `VAE`, or a
            `ConditionalVAE` with `label`.
        image0: float array `(H, W, C)` in [0, 1]. The first image.
        image1: float array `(H, W, C)` in [0, 1]. The last image.
        steps: int. Number of images, at least 2.
        method: str. `"slerp"` (the default) or `"linear"`.
        label: int or None. For a conditional model, the class both
            images are encoded and decoded with.

    Returns:
        A float32 array `(steps, H, W, C)` in [0, 1]; the ends are the
        reconstructions of the two images (through the posterior mean).

    Example:
    >>> from keras_genimg.models import VAE
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> images = np.random.default_rng(0).random((2, 16, 16, 1), "float32")
    >>> interpolate_images(vae, images[0], images[1], steps=5).shape
    (5, 16, 16, 1)
    """
    if not getattr(model, "is_autoencoder", False):
        raise ValueError(
            f"{type(model).__name__} has no encoder; interpolate between "
            "latent vectors with `interpolate` and `model.generate(z=...)`."
        )
    images = np.stack([image0, image1])
    conditional = getattr(model, "num_classes", None) is not None
    if conditional and label is None:
        raise ValueError(
            f"{type(model).__name__} is conditional: pass the `label` to "
            "encode and decode the images with."
        )
    if not conditional and label is not None:
        raise ValueError("The model takes no class labels; leave `label` out.")
    if conditional:
        z_mean, _ = model.encode(images, label)
        return model.decode(interpolate(*z_mean, steps, method), label)
    z_mean, _ = model.encode(images)
    return model.decode(interpolate(*z_mean, steps, method))
