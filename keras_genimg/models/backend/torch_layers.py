"""The zoo's common layers as torch calls, for `direct_calls` on PyTorch.

`direct_calls` runs a network through its layers' `call`; on PyTorch even
that goes through Keras' ops, which convert and check every argument and
flatten nested structures at each op (tens of microseconds an op, at
every step). For the layers the zoo's GANs and VAEs are made of,
`layer_call` gives a function that computes the same outputs with torch's
own ops and the zoo's convolutions; a network made only of such layers
also skips Keras' `__call__` around the whole network
(`keras_genimg.models.networks.Network`). On a 2-core CPU that made the
WGAN-GP's eager training step about 14% shorter.
"""

import keras
import torch

from keras_genimg.models.backend import direct_calls
from keras_genimg.models.backend.torch import (
    conv,
    conv_transpose,
    leaky_relu,
)
from keras_genimg.models.spectral_normalization import (
    EPSILON,
    SpectralNormalization,
)

# Keras' activations that torch computes in one op; linear is None.
_ACTIVATIONS = {
    keras.activations.linear: None,
    keras.activations.relu: torch.relu,
    keras.activations.tanh: torch.tanh,
    keras.activations.sigmoid: torch.sigmoid,
}


def call_layers(network, inputs, training=None, whole=False):
    """`direct_calls.call_layers`, with torch calls for the common layers.

    Args:
        network: a built functional `keras.Model`.
        inputs: its inputs, tensors.
        training: the training flag, or None for each layer's default.
        whole: bool. Run only where every layer is one `layer_call`
            covers and the inputs have the network's shapes, as a call
            without Keras' `__call__` around the network needs.

    Returns:
        The outputs, or None where Keras must run the network.
    """
    return direct_calls.call_layers(
        network, inputs, training, layer_call=layer_call, whole=whole
    )


def layer_call(layer):
    """A function `(inputs, training) -> outputs` computing `layer`'s
    outputs in torch, or None where the layer's own `call` must run.

    Example:
    >>> dense = keras.layers.Dense(2, activation="relu")
    >>> _ = dense.build((None, 3))
    >>> x = keras.ops.ones((4, 3))
    >>> bool(keras.ops.all(layer_call(dense)(x, None) == dense(x)))
    True
    """
    from keras_genimg.models.activations import LeakyReLU
    from keras_genimg.models.batch_normalization import BatchNormalization
    from keras_genimg.models.conditional_networks import LabelMaps

    kind = type(layer)
    if _modified(layer):
        return None
    kernel_op = _kernel_op(layer)
    if kernel_op is not None:
        return _with_bias_and_activation(
            layer, lambda x, training: kernel_op(x, layer.kernel.value)
        )
    if kind is SpectralNormalization:
        return _spectral_call(layer)
    if kind is keras.layers.Reshape:
        target = tuple(layer.target_shape)
        return lambda x, training: x.reshape((x.shape[0], *target))
    if kind is keras.layers.Flatten and layer.data_format == "channels_last":
        return lambda x, training: x.reshape(x.shape[0], -1)
    if kind is keras.layers.ReLU and (
        layer.max_value is None
        and layer.negative_slope == 0
        and layer.threshold == 0
    ):
        return lambda x, training: torch.relu(x)
    if kind is keras.layers.Activation and layer.activation in _ACTIVATIONS:
        op = _ACTIVATIONS[layer.activation] or (lambda x: x)
        return lambda x, training: op(x)
    if kind is LeakyReLU:
        slope = layer.negative_slope
        return lambda x, training: leaky_relu(x, slope)
    if kind is keras.layers.Concatenate:
        axis = layer.axis
        return lambda xs, training: torch.cat(list(xs), dim=axis)
    if kind is LabelMaps:
        # Its own `call`: a leaf, so its network can skip Keras' `__call__`.
        return lambda xs, training: layer.call(xs)
    if kind is BatchNormalization:
        # Its own `call`, which runs torch's fused kernel when training.
        return lambda x, training: layer.call(x, training=training)
    return None


def _modified(layer):
    """Whether Keras changes how `layer` computes (LoRA, quantization)."""
    return bool(
        getattr(layer, "lora_enabled", False)
        or getattr(layer, "quantization_mode", None)
    )


def _kernel_op(layer):
    """`op(x, kernel)`: a `Dense` layer's or the zoo's channels-last
    convolution's product with a kernel, bias and activation aside; or
    None."""
    from keras_genimg.models.convolutions import (
        Conv2D,
        Conv2DTranspose,
        convolution_options,
    )

    kind = type(layer)
    if kind is keras.layers.Dense:
        return torch.matmul
    if kind not in (Conv2D, Conv2DTranspose):
        return None
    if layer.data_format != "channels_last":
        return None
    names = ["strides", "padding", "dilation_rate", "data_format"]
    if kind is Conv2DTranspose:
        names.insert(2, "output_padding")
    options = convolution_options(layer, *names)
    op = conv if kind is Conv2D else conv_transpose
    return lambda x, kernel: op(x, kernel, options)


def _spectral_call(wrapper):
    """A `SpectralNormalization` wrapper's call in torch: the same power
    iteration (the wrapper's docstring), on a wrapped `Dense` or
    convolution; None for other layers."""
    layer = wrapper.layer
    kernel_op = _kernel_op(layer)
    if kernel_op is None or _modified(layer):
        return None
    iterations = wrapper.power_iterations

    def normalized_op(x, training):
        kernel = layer.kernel.value
        weights = kernel.reshape(-1, kernel.shape[-1])
        constant = weights.detach()
        u = wrapper.vector_u.value
        for step in range(iterations):
            v = _normalize(u @ constant.T)
            last = step == iterations - 1
            product = v @ (weights if last else constant)
            u = _normalize(product.detach())
        if training:
            with torch.no_grad():
                wrapper.vector_u.value.copy_(u)
        sigma = (product * u).sum()
        return kernel_op(x, kernel / sigma)

    return _with_bias_and_activation(layer, normalized_op)


def _normalize(vector):
    return vector / torch.sqrt(vector.square().sum() + EPSILON)


def _with_bias_and_activation(layer, op):
    """`op(x, training)`, then the layer's bias (channels last) and
    activation, or None for an activation torch does not compute in one
    op."""
    if layer.activation not in _ACTIVATIONS:
        return None
    activation = _ACTIVATIONS[layer.activation]
    bias = layer.bias if layer.use_bias else None

    def call(x, training):
        y = op(x, training)
        if bias is not None:
            y = y + bias.value
        return y if activation is None else activation(y)

    return call
