"""Latent traversals: vary one latent dimension, keep the others."""

import numpy as np


def traverse_latents(z, dim, values):
    """Copies of `z` with dimension `dim` set to each of `values`.

    Args:
        z: float array `(latent_dim,)`. The starting point.
        dim: int. The dimension to vary, in `[0, latent_dim)`.
        values: 1-D sequence of floats. The values it takes.

    Returns:
        A float32 array `(len(values), latent_dim)`, equal to `z`
        everywhere but in column `dim`.

    Example:
    >>> traverse_latents(np.zeros(3), dim=1, values=[-1.0, 2.0]).tolist()
    [[0.0, -1.0, 0.0], [0.0, 2.0, 0.0]]
    """
    z = np.asarray(z, "float32")
    values = np.asarray(values, "float32")
    if z.ndim != 1:
        raise ValueError(
            f"`z` must be one latent vector (latent_dim,). Received shape "
            f"{z.shape}."
        )
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(
            "`values` must be a non-empty 1-D sequence of floats. "
            f"Received shape {values.shape}."
        )
    if not isinstance(dim, (int, np.integer)) or not 0 <= dim < len(z):
        raise ValueError(
            f"`dim` must be an int in [0, {len(z)}). Received: {dim!r}"
        )
    latents = np.tile(z, (len(values), 1))
    latents[:, dim] = values
    return latents


def traverse(model, z, dim, values, label=None):
    """Images of `z` with one latent dimension swept through `values`.

    The beta-VAE use case (Higgins et al., 2017): in a disentangled latent
    space, each dimension changes one visual factor (slant, width, ...)
    and leaves the others.

    Args:
        model: a zoo model (`generate(z=...)`).
        z: float array `(latent_dim,)`. The starting point, e.g. the prior
            mean `np.zeros(latent_dim)` or an image's `z_mean`.
        dim: int. The dimension to vary.
        values: 1-D sequence of floats, e.g. `np.linspace(-3, 3, 9)`.
        label: int or None. The class, for a conditional model.

    Returns:
        A float32 array `(len(values), H, W, C)` in [0, 1].

    Example:
    >>> from keras_genimg.models import VAE
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8, beta=4)
    >>> traverse(vae, np.zeros(4), dim=2, values=[-2, 0, 2]).shape
    (3, 16, 16, 1)
    """
    latents = traverse_latents(z, dim, values)
    if label is None:
        return model.generate(z=latents)
    return model.generate(z=latents, labels=label)
