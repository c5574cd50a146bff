"""The zoo's convolutions against Keras' layers, on JAX and PyTorch.

For several layer configurations, with the same weights and inputs: the
largest relative difference of the outputs, of the gradients w.r.t. the
inputs, kernel and bias, and of a second-order gradient (of the squared
norm of the input gradient w.r.t. the kernel, as a gradient penalty
takes it; on PyTorch also through `backend.value_and_input_grad`). On
JAX also how many input-dilated convolutions the programs of the first-
and second-order gradients hold (the ones whose kernel gradient XLA's
CPU backend computes slowly), and how many convolutions of the first-order
one give the kernel gradient (more than one where it is summed over
chunks of the batch).
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
    # Large enough that JAX sums the kernel gradient over chunks of the
    # batch (16 or more images, 14x14 positions, 32 channels; see
    # `INPUT_SHAPES`): 18 images in chunks of 4, 4, 4, 4 and 2.
    "conv_chunked": dict(filters=32, kernel_size=3, padding="same"),
    "transpose_chunked": dict(filters=4, kernel_size=3, strides=2,
                              padding="same"),
}  # fmt: skip
# The input batch of each configuration, `(3, 6, 6, 7)` where not named.
INPUT_SHAPES = {
    "conv_chunked": (18, 14, 14, 3),
    "transpose_chunked": (16, 14, 14, 32),
}


def relative_difference(a, b):
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def convolutions(function, *args, nested=False):
    """The convolutions in `function`'s program (and its nested ones)."""
    import jax

    def equations(program):
        for eqn in program.eqns:
            yield eqn
            if not nested:
                continue
            for param in eqn.params.values():
                for value in param if isinstance(param, tuple) else [param]:
                    inner = getattr(value, "jaxpr", value)
                    if hasattr(inner, "eqns"):
                        yield from equations(inner)

    program = jax.make_jaxpr(function)(*args).jaxpr
    return [
        eqn
        for eqn in equations(program)
        if eqn.primitive.name == "conv_general_dilated"
    ]


def input_dilated(found):
    return sum(1 for eqn in found if max(eqn.params["lhs_dilation"]) > 1)


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
    kernel_dims = sorted(values[0].shape)
    counts = {
        "input_dilated": [
            input_dilated(convolutions(jax.grad(loss), values, x)),
            input_dilated(convolutions(jax.grad(penalty), values)),
        ],
        # Those that give (a part of) the kernel gradient, in some layout.
        "kernel_gradient": sum(
            1
            for eqn in convolutions(jax.grad(loss), values, x, nested=True)
            if sorted(eqn.outvars[0].aval.shape) == kernel_dims
        ),
    }
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
    x = rng.normal(size=INPUT_SHAPES.get(name, (3, 6, 6, 7)))
    x = x.astype("float32")
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
        "counts": {"ours": ours_counts, "keras": theirs_counts},
    }  # fmt: skip


def report():
    """`compare` for every configuration, by name."""
    return {name: compare(name, config) for name, config in CONFIGS.items()}
