"""The zoo's convolutions against Keras' layers, on JAX and PyTorch.

For several layer configurations, with the same weights and inputs: the
largest relative difference of the outputs, of the gradients w.r.t. the
inputs, kernel and bias, and of a second-order gradient (of the squared
norm of the input gradient w.r.t. the kernel, as a gradient penalty
takes it; on PyTorch also through `backend.value_and_input_grad`). On
JAX also how many input-dilated convolutions the programs of the first-
and second-order gradients hold (the ones whose kernel
gradient XLA's CPU backend computes slowly).
"""

import keras
import numpy as np

from keras_genimg.models.convolutions import Conv2D, Conv2DTranspose

CONFIGS = {
    "transpose_dcgan": dict(filters=6, kernel_size=4, strides=2,
                            padding="same", use_bias=False),
    "transpose_vae": dict(filters=5, kernel_size=3, strides=2,
                          padding="same", activation="relu"),
    "transpose_output_padding": dict(filters=4, kernel_size=3, strides=2,
                                     padding="same", output_padding=1),
    "transpose_bfloat16": dict(filters=6, kernel_size=4, strides=2,
                               padding="same", dtype="mixed_bfloat16"),
    "conv_critic": dict(filters=6, kernel_size=4, strides=2,
                        padding="same"),
    "conv_stride_1": dict(filters=4, kernel_size=3, padding="same"),
    # Padded unevenly ("same", stride 2, odd kernel), and not at all.
    "conv_odd_kernel": dict(filters=4, kernel_size=3, strides=2,
                            padding="same"),
    "conv_valid": dict(filters=4, kernel_size=3, strides=2,
                       padding="valid"),
    "transpose_valid": dict(filters=4, kernel_size=3, strides=2,
                            padding="valid"),
    # A kernel smaller than the stride leaves gaps between its outputs.
    "transpose_small_kernel": dict(filters=4, kernel_size=1, strides=2,
                                   padding="same"),
}  # fmt: skip


def relative_difference(a, b):
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def input_dilated_convolutions(function, *args):
    import jax

    program = jax.make_jaxpr(function)(*args).jaxpr
    return sum(
        1
        for eqn in program.eqns
        if eqn.primitive.name == "conv_general_dilated"
        and max(eqn.params["lhs_dilation"]) > 1
    )


def jax_gradients(layer, x, cotangent):
    """Output, first- and second-order gradients, dilated-conv counts."""
    import jax
    import jax.numpy as jnp

    x, cotangent = jnp.asarray(x), jnp.asarray(cotangent)
    values = [v.value for v in layer.trainable_variables]

    def loss(values, x):
        y, _ = layer.stateless_call(values, [], x)
        return jnp.sum(y.astype("float32") * cotangent)

    def penalty(values):
        return jnp.sum(jax.grad(loss, argnums=1)(values, x) ** 2)

    y, _ = layer.stateless_call(values, [], x)
    grads, x_grad = jax.grad(loss, argnums=(0, 1))(values, x)
    second = jax.grad(penalty)(values)[0]
    counts = [
        input_dilated_convolutions(jax.grad(loss), values, x),
        input_dilated_convolutions(jax.grad(penalty), values),
    ]
    return [y, x_grad, *grads, second], counts


def torch_gradients(layer, x, cotangent):
    """Output, first- and second-order gradients (no counts); the
    second-order one also as a penalty takes it, through
    `backend.value_and_input_grad` (where the zoo's convolutions record
    only their input gradient)."""
    import torch

    from keras_genimg.models import backend

    def score(x):
        return torch.sum(layer(x).float() * torch.tensor(cotangent)), None

    values = [v.value for v in layer.trainable_variables]
    (_, penalty_x_grad) = backend.value_and_input_grad(
        score, torch.tensor(x), second_order=True
    )
    (penalty,) = torch.autograd.grad(torch.sum(penalty_x_grad**2), values[0])
    x = torch.tensor(x, requires_grad=True)
    y = layer(x)
    loss = torch.sum(y.float() * torch.tensor(cotangent))
    x_grad, *grads = torch.autograd.grad(loss, [x, *values], create_graph=True)
    (second,) = torch.autograd.grad(torch.sum(x_grad**2), values[0])
    outputs = (y, x_grad, *grads, penalty, second)
    return [t.detach().float().numpy() for t in outputs], None


def compare(name, config):
    gradients = {"jax": jax_gradients, "torch": torch_gradients}[
        keras.backend.backend()
    ]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 6, 7)).astype("float32")
    ours, theirs = (
        (Conv2D, keras.layers.Conv2D)
        if name.startswith("conv_")
        else (Conv2DTranspose, keras.layers.Conv2DTranspose)
    )
    ours, theirs = ours(**config), theirs(**config)
    for layer in (ours, theirs):
        layer.build(x.shape)
    weights = [rng.normal(size=w.shape).astype("float32")
               for w in theirs.weights]  # fmt: skip
    for layer in (ours, theirs):
        layer.set_weights(weights)
    shape = theirs.compute_output_shape(x.shape)
    cotangent = rng.normal(size=shape).astype("float32")
    ours_values, ours_counts = gradients(ours, x, cotangent)
    theirs_values, theirs_counts = gradients(theirs, x, cotangent)
    return {
        "differences": [relative_difference(a, b)
                        for a, b in zip(ours_values, theirs_values)],
        "second_order_scale": float(np.max(np.abs(theirs_values[-1]))),
        "input_dilated": {"ours": ours_counts, "keras": theirs_counts},
    }  # fmt: skip


def report():
    """`compare` for every configuration, by name."""
    return {name: compare(name, config) for name, config in CONFIGS.items()}


def xla_convolutions():
    """On JAX: whether XLA runs the zoo's convolutions itself on the CPU.

    The flag `keras_genimg` adds to `XLA_FLAGS`, and how many YNNPACK
    fusions the compiled first-order gradient of a `Conv2D` holds.
    """
    import os

    import jax

    from keras_genimg.models.backend import xla_flags

    layer = Conv2D(32, 3, padding="same")
    x = np.zeros((8, 14, 14, 32), "float32")
    layer.build(x.shape)

    def loss(x, kernel):
        return (layer.convolution_op(x, kernel) ** 2).sum()

    gradient = jax.jit(jax.grad(loss, argnums=(0, 1)))
    program = gradient.lower(x, layer.kernel.value).compile().as_text()
    return {
        "jaxlib": xla_flags.jaxlib_version(),
        "flag_set": xla_flags.CPU_CONVOLUTIONS_FLAG
        in os.environ.get("XLA_FLAGS", "").split(),
        "convolutions": program.count("convolution("),
        "ynn_fusions": program.count("ynn_fusion"),
    }
