"""Conv2D and Conv2DTranspose that train faster on JAX and PyTorch.

On the JAX backend, XLA's CPU code for the kernel gradient of an
input-dilated convolution is about ten times slower than TensorFlow's.
A transposed convolution is one (its kernel gradient is needed in every
generator step), and so is the input gradient of a strided convolution
(whose kernel gradient a gradient penalty needs). These layers take
those gradients through the strided convolution that both forms are the
adjoint of (see `keras_genimg.models.backend.jax`). On PyTorch they call
torch on the channels-last batch as it is, without the two layout copies
Keras' ops make (see `keras_genimg.models.backend.torch`). Their outputs
and gradients are those of Keras' layers up to rounding; on TensorFlow
they are Keras' layers unchanged.

They keep Keras' class names, so their weights sit where Keras' layers
keep them: weights written with either layer load into networks built
with the other.
"""

import keras
from keras import ops

from keras_genimg.models.backend import conv, conv_transpose


def convolution_options(layer, *names):
    """The layer's arguments `names` as hashable `(name, value)` pairs."""
    options = []
    for name in names:
        value = getattr(layer, name)
        if isinstance(value, list | tuple):
            value = tuple(value)
        options.append((name, value))
    return tuple(options)


@keras.saving.register_keras_serializable(package="keras_genimg")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D`, faster on JAX (its second-order gradient)
    and PyTorch.

    Args:
        **kwargs: the arguments of `keras.layers.Conv2D`.

    Example:
    >>> import numpy as np
    >>> layer = Conv2D(4, 3, strides=2, padding="same")
    >>> tuple(layer(np.zeros((2, 14, 14, 8), "float32")).shape)
    (2, 7, 7, 4)
    """

    def convolution_op(self, inputs, kernel):
        if conv is None:
            return super().convolution_op(inputs, kernel)
        options = convolution_options(
            self, "strides", "padding", "dilation_rate", "data_format"
        )
        inputs, kernel = map(ops.convert_to_tensor, (inputs, kernel))
        return conv(inputs, kernel, options)


@keras.saving.register_keras_serializable(package="keras_genimg")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose`, faster on JAX (its kernel
    gradient) and PyTorch.

    Args:
        **kwargs: the arguments of `keras.layers.Conv2DTranspose`.

    Example:
    >>> import numpy as np
    >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same")
    >>> tuple(layer(np.zeros((2, 7, 7, 8), "float32")).shape)
    (2, 14, 14, 4)
    """

    def call(self, inputs):
        if conv_transpose is None:
            return super().call(inputs)
        options = convolution_options(
            self,
            "strides",
            "padding",
            "output_padding",
            "dilation_rate",
            "data_format",
        )
        outputs = conv_transpose(
            ops.convert_to_tensor(inputs),
            ops.convert_to_tensor(self.kernel),
            options,
        )
        if self.use_bias:
            if self.data_format == "channels_last":
                bias_shape = (1, 1, 1, self.filters)
            else:
                bias_shape = (1, self.filters, 1, 1)
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
