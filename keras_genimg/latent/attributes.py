"""Attribute vectors: move latents towards a visual attribute or class."""

import numpy as np


def attribute_vector(
    model, images_with, images_without, labels_with=None, labels_without=None
):
    """The mean latent code of one group of images minus another's.

    Adding the vector to a latent adds the attribute that tells the groups
    apart (a class, glasses, a slant...), as in White, "Sampling
    Generative Networks", 2016. Images are encoded to their posterior
    means.

    Args:
        model: a model with `encode`: a `VAE`, or a `ConditionalVAE`
            with the labels.
        images_with: float array `(N, H, W, C)` in [0, 1]. Images with
            the attribute.
        images_without: float array `(M, H, W, C)` in [0, 1]. Images
            without it.
        labels_with: int or int array `(N,)` or None. Their classes, for
            a conditional model.
        labels_without: int or int array `(M,)` or None. Likewise.

    Returns:
        A float32 array `(latent_dim,)`.

    Example:
    >>> from keras_genimg.models import VAE
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> rng = np.random.default_rng(0)
    >>> bright = rng.uniform(0.5, 1.0, (8, 16, 16, 1)).astype("float32")
    >>> dark = rng.uniform(0.0, 0.5, (8, 16, 16, 1)).astype("float32")
    >>> attribute_vector(vae, bright, dark).shape
    (4,)
    """
    if not getattr(model, "is_autoencoder", False):
        raise ValueError(
            f"{type(model).__name__} has no encoder to map images to "
            "latents; use a VAE."
        )
    if getattr(model, "num_classes", None) is not None:
        if labels_with is None or labels_without is None:
            raise ValueError(
                f"{type(model).__name__} is conditional: pass "
                "`labels_with` and `labels_without`."
            )
        with_mean, _ = model.encode(images_with, labels_with)
        without_mean, _ = model.encode(images_without, labels_without)
    else:
        with_mean, _ = model.encode(images_with)
        without_mean, _ = model.encode(images_without)
    return (with_mean.mean(axis=0) - without_mean.mean(axis=0)).astype(
        "float32"
    )


def edit(model, z, vector, strength=1.0, label=None):
    """Images of the latents `z + strength * vector`.

    Args:
        model: a zoo model (`generate(z=...)`).
        z: float array `(batch, latent_dim)`. The latents to edit.
        vector: float array `(latent_dim,)`, e.g. from `attribute_vector`.
        strength: float or 1-D sequence of floats. How far to move; a
            negative strength removes the attribute. A sequence gives one
            image per strength for each latent. Defaults to 1.0.
        label: int or None. The class, for a conditional model.

    Returns:
        A float32 array `(batch, H, W, C)` in [0, 1], or
        `(batch, len(strength), H, W, C)` for a sequence of strengths.

    Example:
    >>> from keras_genimg.models import VAE
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> z = vae.sample_latent(2, seed=0)
    >>> edit(vae, z, np.ones(4), strength=[0.0, 1.0, 2.0]).shape
    (2, 3, 16, 16, 1)
    """
    z = np.asarray(z, "float32")
    vector = np.asarray(vector, "float32")
    if z.ndim != 2 or vector.shape != z.shape[1:]:
        raise ValueError(
            "`z` must be (batch, latent_dim) and `vector` (latent_dim,). "
            f"Received shapes {z.shape} and {vector.shape}."
        )
    strengths = np.asarray(strength, "float32")
    edited = z[:, None] + strengths.reshape(-1, 1) * vector
    latents = edited.reshape(-1, z.shape[1])
    if label is None:
        images = model.generate(z=latents)
    else:
        images = model.generate(z=latents, labels=label)
    if strengths.ndim == 0:
        return images
    return images.reshape((len(z), len(strengths)) + images.shape[1:])
