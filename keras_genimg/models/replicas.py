"""What a train step needs to know about the replicas it runs on.

Under `tf.distribute` every replica runs the same `train_step` on its share
of the global batch, and the optimizer sums the replicas' gradients. These
helpers are the only place where the models look at the strategy.
"""

import keras
from keras import ops

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    def num_replicas():
        """Replicas training in sync (1 outside `tf.distribute`)."""
        return tf.distribute.get_strategy().num_replicas_in_sync

    def replica_id():
        """This replica's index among all replicas (0 outside one)."""
        context = tf.distribute.get_replica_context()
        return 0 if context is None else context.replica_id_in_sync_group

    def step_logs(logs):
        """Shapes a train or test step's logs for Keras to reduce.

        Keras averages a step's logs over the replicas. Across the workers
        of a `MultiWorkerMirroredStrategy` it does so with
        `strategy.reduce("MEAN", logs, axis=0)`, which fails on scalars
        (Keras 3.15; tensorflow/tensorflow#72388). There every log gets a
        leading axis of 1, which that mean removes; elsewhere the logs
        are returned as they are.

        Args:
            logs: dict mapping names to float scalar tensors.

        Returns:
            The logs to return from the step.

        Example:
        >>> step_logs({"loss": 2.0})
        {'loss': 2.0}
        """
        strategy = tf.distribute.get_strategy()
        if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return logs
        if len(strategy.extended.worker_devices) == num_replicas():
            return logs  # one worker: Keras reduces as for MirroredStrategy
        return {name: ops.reshape(value, (1,)) for name, value in logs.items()}

else:
    raise ValueError(
        f"keras_genimg trains on the TensorFlow backend only. Received "
        f"backend {keras.backend.backend()!r}."
    )

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
