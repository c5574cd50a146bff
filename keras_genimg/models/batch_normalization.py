"""BatchNormalization that trains with one fused kernel (TensorFlow,
PyTorch)."""

import keras
from keras import ops

from keras_genimg.models.backend import fused_batch_norm, lerp_variables


@keras.saving.register_keras_serializable(package="keras_genimg")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization`, trained with a fused kernel.

    Keras' layer computes the batch moments, the normalization and their
    gradients with a dozen separate ops. On the TensorFlow and PyTorch
    backends, when training on a 4D channels-last batch, this layer runs
    the backend's fused batch-norm kernel instead (one op forward, one
    backward, with float32 statistics for half-precision inputs). The
    result is the same up to rounding: the same outputs, the same moving
    averages (of the biased variance, as Keras keeps them), the same
    gradients. In every other case (inference, JAX, masks, other ranks or
    axes, `renorm`, `synchronized`, a frozen layer) it is Keras' layer
    unchanged.

    It keeps Keras' class name, so its weights sit where Keras' layer
    keeps them: `.weights.h5` files and training backups written with
    either layer load into networks built with the other.

    Args:
        **kwargs: the arguments of `keras.layers.BatchNormalization`.

    Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(2.0, 3.0, (8, 4, 4, 3))
    >>> layer = BatchNormalization()
    >>> y = ops.convert_to_numpy(layer(x.astype("float32"), training=True))
    >>> np.allclose(np.mean(y, axis=(0, 1, 2)), 0.0, atol=1e-5)
    True
    """

    def call(self, inputs, training=None, mask=None):
        if not self._can_fuse(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        gamma = self.gamma if self.scale else ops.ones((channels,))
        beta = self.beta if self.center else ops.zeros((channels,))
        outputs, mean, variance = fused_batch_norm(
            inputs, gamma, beta, self.epsilon
        )
        lerp_variables(
            [self.moving_mean, self.moving_variance],
            [mean, variance],
            1.0 - self.momentum,
        )
        return ops.cast(outputs, self.compute_dtype)

    def _can_fuse(self, inputs, training, mask):
        return bool(
            fused_batch_norm is not None
            and training
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and self.variable_dtype == "float32"
            and keras.backend.standardize_dtype(inputs.dtype)
            in ("float32", "bfloat16", "float16")
        )
