"""Training-step plumbing on the TensorFlow backend: tapes and replicas."""

import tensorflow as tf
from keras import ops

from keras_genimg.models.backend.second_order import (
    active as in_second_order_forward,
)
from keras_genimg.models.backend.second_order import (
    forward as second_order_forward,
)
from keras_genimg.models.backend.second_order import values


class Trainer:
    """Mixin: Keras' `train_step`/`test_step` run the model's batch steps.

    On TensorFlow a step is stateful: `train_batch` reads and assigns the
    variables directly, inside the `tf.function` Keras builds.
    """

    def train_step(self, data):
        return self.train_batch(data)

    def test_step(self, data):
        return self.test_batch(data)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # A private hook of Keras' TensorFlow trainer (3.10-3.15, tested in
        # tests/backends/test_backends.py): it takes a batch from the
        # iterator and reduces it across the replicas to build the model
        # from it; under MultiWorkerMirroredStrategy that reduction fails on
        # an `(images, labels)` batch. The zoo's models are built when they
        # are made and compile no Keras losses or metrics, so only the
        # optimizers are left to build, which needs no batch.
        if (
            all(layer.built for layer in self._flatten_layers())
            and self._compile_loss is None
            and self._compile_metrics is None
        ):
            iterator = data_batch = None
        return super()._maybe_symbolic_build(iterator, data_batch)


def value_and_grad(fn, variables):
    with tf.GradientTape() as tape:
        loss, aux = fn()
    return (loss, aux), tape.gradient(loss, variables)


def vjp(fn, variables):
    tape = tf.GradientTape()
    with tape:
        outputs = fn()

    def pullback(cotangent):
        return tape.gradient(outputs, variables, output_gradients=cotangent)

    return outputs, pullback


def value_and_input_grad(fn, x, second_order=False):
    # An outer tape records the gradient's computation: always second order.
    with tf.GradientTape() as tape, second_order_forward(second_order):
        tape.watch(x)
        outputs = fn(x)
    grads = tape.gradient(outputs[0], x)
    return values(outputs) if second_order else outputs, grads


def leaky_relu(x, negative_slope):
    """`tf.nn.leaky_relu(x, negative_slope)`; in a forward pass whose input
    gradient is differentiated again (`second_order`), its gradient does
    not carry zeros back to `x` (no backward pass on zeros)."""
    if not in_second_order_forward():
        return tf.nn.leaky_relu(x, alpha=negative_slope)

    @tf.custom_gradient
    def leaky_relu_without_second_derivative(x):
        def grad(upstream):
            return tf.raw_ops.LeakyReluGrad(
                gradients=upstream,
                features=tf.stop_gradient(x),
                alpha=negative_slope,
            )

        return tf.nn.leaky_relu(x, alpha=negative_slope), grad

    return leaky_relu_without_second_derivative(x)


def apply_gradients(optimizer, grads, variables):
    # An embedding's gradient comes as `tf.IndexedSlices`, one slice per
    # looked-up row, duplicates kept. Keras' optimizers square the slices
    # one by one (Adam's second moment then sums the squares of a row's
    # slices, not the square of their sum: a row looked up k times moves
    # up to sqrt(k) times too far). Made dense, the rows are summed first,
    # as JAX and PyTorch have them.
    grads = [
        tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
        for g in grads
    ]
    optimizer.apply_gradients(zip(grads, variables))


def compiled(fn, variables, input_specs=None):
    """`fn` as one graph; it reads `variables` (unused here) when it runs.

    Traced once for `input_specs` (`(shape, dtype)` pairs, None for a
    dimension of any size) where given, else for the shapes it is called
    with.
    """
    if input_specs is None:
        return tf.function(fn, reduce_retracing=True)
    signature = [tf.TensorSpec(shape, dtype) for shape, dtype in input_specs]
    return tf.function(fn, input_signature=signature)


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


def fused_batch_norm(inputs, gamma, beta, epsilon):
    """Normalizes NHWC `inputs` by their batch statistics in one kernel.

    Returns `(outputs, mean, variance)`, the variance biased (divided
    by the count), as `keras.ops.moments` gives it.
    """
    outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
        inputs, gamma, beta, epsilon=epsilon, is_training=True
    )
    # The kernel returns the unbiased variance for the moving average.
    count = tf.cast(
        tf.size(inputs, out_type=tf.int64) // tf.size(mean, tf.int64),
        variance.dtype,
    )
    return outputs, mean, variance * (count - 1.0) / count
