"""LeakyReLU whose second-order gradient costs less.

A gradient penalty (the WGAN-GP's) differentiates the critic's input
gradient w.r.t. its weights. On TensorFlow and PyTorch that second
backward pass also runs back through the critic's forward pass, because
both record the derivative of a leaky ReLU's backward w.r.t. the ReLU's
input (zero) as a tensor of zeros: every convolution under the ReLU then
computes a backward pass on zeros. In the forward pass of a penalty this
layer records its gradient without that edge (see
`keras_genimg.models.backend.second_order`); its outputs and gradients
are Keras' `LeakyReLU`'s. On JAX, whose own leaky ReLU has no such edge,
it is Keras' layer unchanged.

It keeps Keras' class name, so networks written with either layer load
with the other.
"""

import keras
from keras import ops

from keras_genimg.models.backend import leaky_relu


@keras.saving.register_keras_serializable(package="keras_genimg")
class LeakyReLU(keras.layers.LeakyReLU):
    """`keras.layers.LeakyReLU`, with a cheaper gradient penalty on
    TensorFlow and PyTorch.

    Args:
        **kwargs: the arguments of `keras.layers.LeakyReLU`.

    Example:
    >>> import numpy as np
    >>> layer = LeakyReLU(0.2)
    >>> outputs = layer(np.array([-1.0, 2.0], "float32"))
    >>> [round(float(v), 3) for v in keras.ops.convert_to_numpy(outputs)]
    [-0.2, 2.0]
    """

    def call(self, inputs):
        if leaky_relu is None:
            return super().call(inputs)
        return leaky_relu(ops.convert_to_tensor(inputs), self.negative_slope)
