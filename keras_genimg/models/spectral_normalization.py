"""Spectral normalization of a layer's kernel (Miyato et al., 2018)."""

import keras
from keras import ops

# Keeps the power iteration's vectors finite for an all-zero kernel.
EPSILON = 1e-12


@keras.saving.register_keras_serializable(package="keras_genimg")
class SpectralNormalization(keras.layers.Wrapper):
    """Runs a layer with its kernel divided by the kernel's spectral norm.

    `W_sn = W / sigma(W)`, where `sigma(W)`, the largest singular value of
    the kernel reshaped to `(-1, units)`, is estimated by one step of
    power iteration per call from a vector `u` kept between calls (and
    updated in training). Gradients flow through `sigma(W)` as in Miyato,
    Kataoka, Koyama & Yoshida, "Spectral Normalization for Generative
    Adversarial Networks", 2018, which bounds the layer's Lipschitz
    constant by about 1.

    Keras' own `keras.layers.SpectralNormalization` instead writes
    `W / sigma(W)` back into the kernel variable in every training call,
    so its gradients skip `sigma(W)` and the stored kernel changes on
    every forward pass; here the kernel variable is left as trained.

    Wraps `Conv2D` (and its subclasses), `Dense` and `Embedding` layers.

    Args:
        layer: the layer to normalize.
        power_iterations: int. Power-iteration steps per call. Defaults
            to 1.
        **kwargs: passed to `keras.layers.Wrapper`.

    Example:
    >>> import numpy as np
    >>> layer = SpectralNormalization(keras.layers.Dense(3))
    >>> x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    >>> for _ in range(20):  # the power iteration converges
    ...     y = layer(x, training=True)
    >>> kernel = keras.ops.convert_to_numpy(layer.normalized_kernel())
    >>> float(np.linalg.norm(kernel, ord=2)) > 0.99
    True
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(
            layer,
            keras.layers.Conv2D | keras.layers.Dense | keras.layers.Embedding,
        ):
            raise ValueError(
                "SpectralNormalization wraps Conv2D, Dense and Embedding "
                f"layers. Received: {type(layer).__name__}."
            )
        if int(power_iterations) < 1:
            raise ValueError(
                "`power_iterations` must be >= 1. Received: "
                f"{power_iterations!r}"
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        units = self._kernel_variable().shape[-1]
        self.vector_u = self.add_weight(
            shape=(1, units),
            initializer=keras.initializers.RandomNormal(seed=0),
            trainable=False,
            name="vector_u",
        )

    def _kernel_variable(self):
        if isinstance(self.layer, keras.layers.Embedding):
            return self.layer.embeddings
        return self.layer.kernel

    def _sigma_and_u(self):
        """The estimated spectral norm and the next `u`."""
        kernel = ops.convert_to_tensor(self._kernel_variable(), "float32")
        weights = ops.reshape(kernel, (-1, kernel.shape[-1]))
        # The iteration's vectors are constants of the gradient, so it
        # runs on weights that record none; its last product `v W` is
        # taken on the real weights: sigma = u . (v W), of gradient v^T u.
        constant = ops.stop_gradient(weights)
        u = ops.convert_to_tensor(self.vector_u)
        for step in range(self.power_iterations):
            v = _normalize(ops.matmul(u, ops.transpose(constant)))
            last = step == self.power_iterations - 1
            product = ops.matmul(v, weights if last else constant)
            u = _normalize(ops.stop_gradient(product))
        sigma = ops.sum(product * u)
        return sigma, u

    def normalized_kernel(self):
        """The kernel divided by its estimated spectral norm (float32)."""
        sigma, _ = self._sigma_and_u()
        return ops.convert_to_tensor(self._kernel_variable(), "float32") / sigma

    def call(self, inputs, training=False):
        sigma, u = self._sigma_and_u()
        if training:
            self.vector_u.assign(u)
        kernel = ops.convert_to_tensor(self._kernel_variable(), "float32")
        kernel = ops.cast(kernel / sigma, self.layer.compute_dtype)
        layer = self.layer
        if isinstance(layer, keras.layers.Embedding):
            return ops.take(kernel, ops.cast(inputs, "int32"), axis=0)
        inputs = ops.cast(inputs, layer.compute_dtype)
        if isinstance(layer, keras.layers.Dense):
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = layer.convolution_op(inputs, kernel)
        if layer.use_bias:
            bias = ops.cast(layer.bias, layer.compute_dtype)
            if getattr(layer, "data_format", None) == "channels_first":
                bias = ops.reshape(bias, (1, -1) + (1,) * (inputs.ndim - 2))
            outputs = outputs + bias
        if layer.activation is not None:
            outputs = layer.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config


def _normalize(vector):
    return vector / ops.sqrt(ops.sum(ops.square(vector)) + EPSILON)
