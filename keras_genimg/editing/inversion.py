"""GAN inversion: the latent vector whose image fits the known pixels.

Optimises `z` with Adam to minimise the mean squared error on the known
pixels plus a Gaussian prior term, `prior_weight * mean(z ** 2)`, from
several random starts, keeping the best (Yeh et al., "Semantic Image
Inpainting with Deep Generative Models", 2017; Creswell & Bharath,
"Inverting the Generator of a GAN", 2018). The random starts are draws
of the model's latent prior; a caller may add starts of its own, such as
a VAE's encoding or the means of its fitted prior's components, one per
mode of the data. The gradient w.r.t. `z` is taken with
`keras_genimg.models.backend`, so it runs on every backend.
"""

import numpy as np
from keras import ops

from keras_genimg.models import backend
from keras_genimg.models.trial_limits import limit_search_steps

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8


def invert_generator(
    model,
    targets,
    mask,
    labels=None,
    steps=200,
    restarts=4,
    learning_rate=0.05,
    prior_weight=1e-3,
    seed=0,
    starts=None,
):
    """Finds latent vectors whose images match `targets` where `mask` is 1.

    Args:
        model: a zoo GAN (or any model with `latent_to_images`).
        targets: float32 numpy `(batch, H, W, C)` in [0, 1].
        mask: float32 numpy of the same shape, 1 for known pixels.
        labels: int32 numpy `(batch,)` for a conditional model, or None.
        steps: int. Adam steps (`GENIMG_MAX_STEPS` caps them:
            `keras_genimg.models.trial_limits`).
        restarts: int. Random starts per image, drawn from the model's
            latent prior (`sample_latent`); the best of all starts is
            kept.
        learning_rate: float. Adam's step size.
        prior_weight: float. Weight of the prior term, which keeps `z`
            where the generator was trained: `mean(z ** 2)` for the
            random starts.
        seed: int. Seed of the starts.
        starts: None, or `(z, means, scales)`: `n` more starts per image
            (then `restarts` may be 0), `z` float `(n, batch,
            latent_dim)`, each with a Gaussian of its own for the prior
            term: the mean squared Mahalanobis distance to `means[i]`
            `(n, latent_dim)` under the covariance `scales[i] @
            scales[i].T` (`scales` `(n, latent_dim, latent_dim)`, lower
            triangular), e.g. a component of the model's fitted prior.

    Returns:
        `(z, images, loss)`: float32 numpy arrays `(batch, latent_dim)`,
        `(batch, H, W, C)` and `(batch,)`, the masked mean squared error
        of the best start of each image.

    Example:
    >>> from keras_genimg.models import DCGAN
    >>> gan = DCGAN((16, 16, 1), latent_dim=4, filters=8, seed=0)
    >>> target = gan.generate(num_images=1, seed=3)
    >>> z, images, loss = invert_generator(
    ...     gan, target, np.ones_like(target), steps=5, restarts=2
    ... )
    >>> z.shape, images.shape, loss.shape
    ((1, 4), (1, 16, 16, 1), (1,))
    """
    if not restarts and starts is None:
        raise ValueError("Inversion needs `restarts` >= 1 or `starts`.")
    batch, dim = len(targets), model.latent_dim
    z = [np.zeros((0, batch, dim))]
    if restarts:
        z = [
            model.sample_latent(restarts * batch, seed).reshape(-1, batch, dim)
        ]
    centres = [np.zeros((restarts, dim))]
    whitening = [np.broadcast_to(np.eye(dim), (restarts, dim, dim))]
    if starts is not None:
        z.append(starts[0])
        centres.append(starts[1])
        whitening.append(np.linalg.inv(starts[2]))
    z, centres, whitening = (
        np.concatenate(part).astype("float32")
        for part in (z, centres, whitening)
    )
    restarts = len(z)
    centres = ops.convert_to_tensor(centres[:, None])
    whitening = ops.convert_to_tensor(whitening)
    z = ops.convert_to_tensor(z.reshape(restarts * batch, dim))
    targets = ops.convert_to_tensor(np.tile(targets, (restarts, 1, 1, 1)))
    mask = ops.convert_to_tensor(np.tile(mask, (restarts, 1, 1, 1)))
    known = ops.maximum(ops.sum(mask, axis=(1, 2, 3)), 1.0)
    if labels is not None:
        labels = ops.convert_to_tensor(np.tile(labels, restarts), "int32")

    def prior_of(z):
        if starts is None:
            return ops.mean(ops.square(z), axis=1)
        z = ops.reshape(z, (restarts, batch, dim))
        return ops.reshape(gaussian_prior_term(z, centres, whitening), (-1,))

    def loss_of(z):
        images = model.latent_to_images(z, labels=labels)
        error = ops.sum(mask * ops.square(images - targets), axis=(1, 2, 3))
        per_image = error / known
        total = per_image + prior_weight * prior_of(z)
        return ops.sum(total), (per_image, images)

    def adam_step(z, first, second, step_size):
        _, grads = backend.value_and_input_grad(loss_of, z)
        first = BETA_1 * first + (1 - BETA_1) * grads
        second = BETA_2 * second + (1 - BETA_2) * ops.square(grads)
        z = z - step_size * first / (ops.sqrt(second) + EPSILON)
        return ops.stop_gradient(z), first, second

    adam_step = backend.compiled(adam_step, model.variables)
    first, second = ops.zeros_like(z), ops.zeros_like(z)
    for step in range(1, limit_search_steps(steps) + 1):
        step_size = (
            learning_rate * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step)
        )
        step_size = ops.convert_to_tensor(step_size, "float32")
        z, first, second = adam_step(z, first, second, step_size)
    _, (loss, images) = loss_of(z)
    loss = ops.convert_to_numpy(loss).reshape(restarts, batch)
    best = np.argmin(loss, axis=0)
    pick = best * batch + np.arange(batch)
    return (
        ops.convert_to_numpy(z)[pick],
        ops.convert_to_numpy(images)[pick].astype("float32"),
        loss[best, np.arange(batch)].astype("float32"),
    )


def gaussian_prior_term(z, means, whitening):
    """The mean squared Mahalanobis distance of latent vectors to
    Gaussians, `|W (z - mean)|^2 / latent_dim`, with `W` the inverse of
    the covariance's Cholesky factor.

    Args:
        z: float tensor `(n, batch, latent_dim)`.
        means: float tensor `(n, 1, latent_dim)`, the Gaussian of each row.
        whitening: float tensor `(n, latent_dim, latent_dim)`.

    Returns:
        A tensor `(n, batch)`.

    Example:
    >>> z = np.array([[[2.0, 0.0]]], "float32")
    >>> whitening = np.linalg.inv(np.diag([2.0, 1.0]))[None]
    >>> float(gaussian_prior_term(z, np.zeros((1, 1, 2)), whitening)[0, 0])
    0.5
    """
    whitened = ops.einsum("rij,rbj->rbi", whitening, z - means)
    return ops.mean(ops.square(whitened), axis=-1)
