"""The few things a training step does differently on each Keras backend.

The zoo's models write their training step once, against `keras.ops`,
`keras.random` and the helpers below. This package picks the module of
the running Keras backend once, at import, and re-exports its helpers:

- `Trainer`: the mixin that lets Keras' `fit`, `evaluate` and
  `train_on_batch` run a model's `train_batch(data)` and
  `test_batch(data)` (on JAX, statelessly, with every variable threaded
  through the jitted step).
- `value_and_grad(fn, variables)`: `fn()` returns `(loss, aux)`; returns
  `((loss, aux), grads)`, the gradients of `loss` w.r.t. `variables`.
- `vjp(fn, variables)`: `fn()` returns a tensor `y`; returns
  `(y, pullback)`, where `pullback(dy)` gives the gradients w.r.t.
  `variables` of the product `sum(dy * y)`.
- `value_and_input_grad(fn, x, second_order=False)`: `fn(x)` returns
  `(y, aux)` with `y` a scalar; returns `((y, aux), dy/dx)`, the
  gradient w.r.t. the tensor `x`. With `second_order=True` that gradient
  is itself differentiable w.r.t. the variables `fn` reads (as the
  WGAN-GP penalty needs; PyTorch then records the graph of the backward
  pass, which costs time otherwise), and `y` and `aux` come back as
  values, with their gradients stopped (see `second_order`). It also
  works outside a step, e.g. to fit a latent vector to an image.
- `apply_gradients(optimizer, grads, variables)`.
- `compiled(fn, variables, input_specs=None)`: `fn` compiled (a
  `tf.function`, a `jax.jit`; as it is on PyTorch), for inference
  outside `fit`; it reads the current values of `variables` at every
  call. `input_specs`, `(shape, dtype)` pairs, let TensorFlow trace once
  for every batch size.
- `num_replicas()`, `replica_id()`, `step_logs(logs)`: what a step needs
  to know about the replicas of a `tf.distribute` strategy (one replica
  on JAX and PyTorch, where a `keras.distribution` works on global
  batches).
- `fused_batch_norm`: a fused batch-norm kernel (TensorFlow's, or
  PyTorch's), or None.
- `conv(inputs, kernel, options)`, `conv_transpose(...)`: convolutions
  with fast gradients on JAX, or without layout copies on PyTorch (see
  `keras_genimg.models.convolutions`), or None.
- `leaky_relu(x, negative_slope)`: a leaky ReLU whose gradient a
  gradient penalty differentiates without a backward pass on zeros
  (TensorFlow, PyTorch; see `second_order`), or None (JAX, whose own
  has none).
- `lerp_variables(variables, targets, weight)`: moves variables towards
  targets in place (moving averages), in one op each on PyTorch.
- `call_layers(network, inputs, training, whole=False)`: runs a
  functional network's layers without Keras' per-layer `__call__`, the
  common layers as torch calls (PyTorch, where Keras' work costs time at
  every step; see `direct_calls` and `torch_layers`), or None.
"""

import keras

_BACKEND = keras.backend.backend()

if _BACKEND == "tensorflow":
    from keras_genimg.models.backend.generic import lerp_variables
    from keras_genimg.models.backend.tensorflow import (
        Trainer,
        apply_gradients,
        compiled,
        fused_batch_norm,
        leaky_relu,
        num_replicas,
        replica_id,
        step_logs,
        value_and_grad,
        value_and_input_grad,
        vjp,
    )

    call_layers = conv = conv_transpose = None
elif _BACKEND == "jax":
    from keras_genimg.models.backend.generic import lerp_variables
    from keras_genimg.models.backend.jax import (
        Trainer,
        apply_gradients,
        compiled,
        conv,
        conv_transpose,
        value_and_grad,
        value_and_input_grad,
        vjp,
    )
    from keras_genimg.models.backend.single_replica import (
        num_replicas,
        replica_id,
        step_logs,
    )

    call_layers = fused_batch_norm = leaky_relu = None
elif _BACKEND == "torch":
    from keras_genimg.models.backend.single_replica import (
        num_replicas,
        replica_id,
        step_logs,
    )
    from keras_genimg.models.backend.torch import (
        Trainer,
        apply_gradients,
        compiled,
        conv,
        conv_transpose,
        fused_batch_norm,
        leaky_relu,
        lerp_variables,
        value_and_grad,
        value_and_input_grad,
        vjp,
    )
    from keras_genimg.models.backend.torch_layers import call_layers
else:
    raise ValueError(
        f"keras_genimg trains on the jax, tensorflow and torch backends. "
        f"Received backend {_BACKEND!r}."
    )

__all__ = [
    "Trainer",
    "apply_gradients",
    "call_layers",
    "compiled",
    "conv",
    "conv_transpose",
    "fused_batch_norm",
    "leaky_relu",
    "lerp_variables",
    "value_and_input_grad",
    "num_replicas",
    "replica_id",
    "step_logs",
    "value_and_grad",
    "vjp",
]
