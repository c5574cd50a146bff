"""What a train step needs to know about the replicas it runs on.

Under `tf.distribute` every replica runs the same `train_step` on its share
of the global batch, and the optimizer sums the replicas' gradients. These
helpers, with `backend.num_replicas` and `backend.replica_id` behind them,
are the only place where the models look at the strategy. On JAX and
PyTorch a step sees the global batch: one replica.
"""

import keras
from keras import ops

from keras_genimg.models.backend import num_replicas, replica_id

# Added once per replica index to the first word of the seed: any nonzero
# constant keeps the replicas' streams apart; a large one keeps replica 1 of
# seed s away from replica 0 of the nearby seeds s + 1, s + 2, ...
REPLICA_SEED_STRIDE = 1_000_003


def scale_loss_for_replicas(loss):
    """Divides a replica's loss by the number of replicas in sync.

    The optimizer sums the replicas' gradients; with every replica's loss
    a mean over its own share of the batch, the sum of the scaled
    gradients is the gradient of the mean over the global batch.

    Args:
        loss: float scalar tensor, this replica's loss.

    Returns:
        The loss to differentiate, unchanged on a single replica.

    Example:
    >>> float(scale_loss_for_replicas(ops.convert_to_tensor(3.0)))
    3.0
    """
    replicas = num_replicas()
    if replicas == 1:
        return loss
    return ops.multiply(loss, ops.cast(1.0 / replicas, loss.dtype))


class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A `keras.random.SeedGenerator` that draws other noise on each replica.

    A plain `SeedGenerator` created under a `tf.distribute` strategy is a
    mirrored variable: every replica reads the same seed and so draws the
    same noise, the same latent vectors for every share of the batch.
    This one folds the replica index into each seed it hands out. Its
    state still advances in step on every replica, and on one replica
    (or outside a strategy) it draws exactly what `SeedGenerator` draws.

    Args:
        seed: int or None. Initial seed, as for `SeedGenerator`.
        **kwargs: passed to `keras.random.SeedGenerator` (`name`).

    Example:
    >>> generator = ReplicaSeedGenerator(0)
    >>> tuple(keras.random.normal((2, 3), seed=generator).shape)
    (2, 3)
    """

    def next(self, ordered=True):
        seed = super().next(ordered=ordered)
        if num_replicas() == 1:
            return seed
        offset = ops.cast(replica_id(), seed.dtype) * REPLICA_SEED_STRIDE
        return seed + ops.stack([offset, ops.zeros_like(offset)])
