"""Latent vectors from integer seeds, the same in Keras and in a server.

The `sample` signature of an export draws each image's latent vector from
its own int32 seed with a stateless random op, so a seed names one image
for good. `latents_from_seeds` and `generate_from_seeds` compute the same
vectors and images in Python, for the Keras model.
"""

import collections

import numpy as np
import tensorflow as tf

INT32 = np.iinfo(np.int32)


def stateless_latents(seeds, latent_dim, prior=None):
    """Draws one vector per seed from the prior with stateless random ops.

    Args:
        seeds: int32 tensor `(batch,)`.
        latent_dim: int. Size of each vector.
        prior: None for N(0, I), or a model's `prior_parameters()`: the
            `(weights, means, scales)` of a Gaussian mixture, taken in as
            constants.

    Returns:
        A float32 tensor `(batch, latent_dim)`; row `i` depends only on
        `seeds[i]` (and the TensorFlow version). The N(0, I) draw is the
        same with or without a prior, which then picks a component with a
        second stateless draw and moves and scales the vector into it.
    """

    def draw(seed):
        return tf.random.stateless_normal(
            [latent_dim], seed=tf.stack([seed, tf.zeros_like(seed)])
        )

    spec = tf.TensorSpec([latent_dim], "float32")
    z = tf.map_fn(draw, seeds, fn_output_signature=spec)
    if prior is None:
        return z
    weights, means, scales = (tf.constant(p, tf.float32) for p in prior)
    log_weights = tf.math.log(weights)[None]

    def pick(seed):
        return tf.random.stateless_categorical(
            log_weights, 1, seed=tf.stack([seed, tf.ones_like(seed)])
        )[0, 0]

    component = tf.map_fn(
        pick, seeds, fn_output_signature=tf.TensorSpec([], tf.int64)
    )
    return tf.gather(means, component) + tf.linalg.matvec(
        tf.gather(scales, component), z
    )


def check_seeds(seeds):
    """Returns seeds as an int32 numpy array `(batch,)`, or raises.

    Example:
    >>> check_seeds([3, 4])
    array([3, 4], dtype=int32)
    """
    seeds = np.asarray(seeds)
    if seeds.ndim != 1 or len(seeds) == 0 or seeds.dtype.kind not in "iu":
        raise ValueError(
            "`seeds` must be a non-empty 1-D array of integers. "
            f"Received shape {seeds.shape} and dtype {seeds.dtype}."
        )
    if seeds.min() < INT32.min or seeds.max() > INT32.max:
        raise ValueError(
            f"`seeds` must fit in int32 [{INT32.min}, {INT32.max}]."
        )
    return seeds.astype("int32")


def latents_from_seeds(seeds, latent_dim, prior=None):
    """The latent vectors the `sample` signature draws for `seeds`.

    Args:
        seeds: 1-D array-like of ints in the int32 range.
        latent_dim: int. Size of each vector.
        prior: None for N(0, I), or a model's `prior_parameters()`.

    Returns:
        A float32 numpy array `(len(seeds), latent_dim)`.

    Example:
    >>> z = latents_from_seeds([0, 1, 0], latent_dim=8)
    >>> z.shape, bool((z[0] == z[2]).all()), bool((z[0] == z[1]).all())
    ((3, 8), True, False)
    """
    seeds = tf.constant(check_seeds(seeds))
    return _compiled_latents(int(latent_dim), prior)(seeds).numpy()


# The graphs of `_compiled_latents`, the most recently used last.
_COMPILED = collections.OrderedDict()
_MAX_COMPILED = 8


def _compiled_latents(latent_dim, prior):
    """`stateless_latents` for this latent size and prior as one graph,
    traced once. Run eagerly, its `map_fn` dispatches its ops seed by seed:
    0.4 s for 500 seeds against 6 ms, and the same vectors."""
    arrays = () if prior is None else tuple(np.asarray(p) for p in prior)
    key = (
        latent_dim,
        tuple((a.dtype.str, a.shape, a.tobytes()) for a in arrays),
    )
    compiled = _COMPILED.pop(key, None)
    if compiled is None:
        # A closure: the prior goes in as constants, as in an export.
        compiled = tf.function(
            lambda seeds: stateless_latents(seeds, latent_dim, prior),
            input_signature=[tf.TensorSpec([None], tf.int32)],
            autograph=False,
        )
    _COMPILED[key] = compiled
    if len(_COMPILED) > _MAX_COMPILED:
        _COMPILED.popitem(last=False)
    return compiled


def generate_from_seeds(model, seeds, labels=None):
    """Generates with a Keras zoo model the images `sample` serves.

    Args:
        model: a zoo model (`latent_dim`, `generate(z=...)`).
        seeds: 1-D array-like of ints in the int32 range.
        labels: int class labels, one per seed, for a conditional model;
            None for an unconditional one.

    Returns:
        A float32 numpy array `(len(seeds), H, W, C)` in [0, 1].

    Example:
    >>> from keras_genimg.models import DCGAN
    >>> gan = DCGAN(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> generate_from_seeds(gan, [7, 8]).shape
    (2, 16, 16, 1)
    """
    z = latents_from_seeds(seeds, model.latent_dim, model.prior_parameters())
    if labels is None:
        return model.generate(z=z)
    return model.generate(z=z, labels=labels)
