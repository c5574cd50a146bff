"""Training-step plumbing on the JAX backend: a stateless step.

Keras' JAX trainer calls `train_step(state, data)` inside `jax.jit` and
expects the new state back. `Trainer` runs the model's imperative
`train_batch(data)` inside one `keras.StatelessScope` that maps every
variable to its value in `state`: layer calls, optimizer updates, metric
updates, BatchNorm statistics and seed draws read and write that scope,
and the step returns what they wrote. The gradient helpers run their
function in a nested scope holding the variables to differentiate as
tracers, and copy what the function wrote back to the step's scope.

On the CPU, importing this module takes XLA's convolutions off YNNPACK
(see `xla_flags`).
"""

import functools
import os

import jax
import keras

from keras_genimg.models.backend import xla_flags
from keras_genimg.models.backend.second_order import values

# Importing JAX does not start its CPU backend; the first computation does.
_FLAGS = xla_flags.with_xla_convolutions(
    os.environ.get("XLA_FLAGS", ""), xla_flags.jaxlib_version()
)
if _FLAGS:
    os.environ["XLA_FLAGS"] = _FLAGS

# The scopes of the step running now, innermost last, each with the
# variables it maps: a nested scope must map them all, so that no read
# falls through to a variable that Keras emptied for the step.
_SCOPES = []


class Trainer:
    """Mixin: Keras' stateless `train_step(state, data)` on `train_batch`.

    Keras threads `self.optimizer.variables` through the step but no other
    optimizer's (keras-team/keras#19358). A model lists its other
    optimizers in `extra_optimizers`; their variables travel with the
    non-trainable variables here.
    """

    @property
    def non_trainable_variables(self):
        variables = list(super().non_trainable_variables)
        for optimizer in self.extra_optimizers:
            variables.extend(optimizer.variables)
        return variables

    def train_step(self, state, data):
        groups = (
            self.trainable_variables,
            self.non_trainable_variables,
            self.optimizer.variables,
            self.metrics_variables,
        )
        return _run_stateless(self.train_batch, groups, state, data)

    def test_step(self, state, data):
        groups = (
            self.trainable_variables,
            self.non_trainable_variables,
            self.metrics_variables,
        )
        return _run_stateless(self.test_batch, groups, state, data)

    # Keras empties the variables while a JAX `fit`, `evaluate` or
    # `predict` runs and puts the values back at the end; an error before
    # the first step finishes (a shape error while tracing, say) leaves
    # them empty, and the model could no longer generate or save. Put the
    # old values back.

    def fit(self, *args, **kwargs):
        with _values_kept(self):
            return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        with _values_kept(self):
            return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        with _values_kept(self):
            return super().predict(*args, **kwargs)


class _values_kept:
    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.saved = [(v, v.value) for v in _all_variables(self.model)]

    def __exit__(self, exc_type, *args):
        if exc_type is None:
            return
        for variable, value in self.saved:
            # `_value` is private: tests/backends/test_backends.py fails if
            # Keras stops emptying variables this way.
            if getattr(variable, "_value", None) is None:
                variable.assign(value)


def _all_variables(model):
    variables = list(model.variables) + list(model.metrics_variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    for optimizer in model.extra_optimizers:
        variables += list(optimizer.variables)
    return variables


def _run_stateless(batch_fn, groups, state, data):
    variables = [v for group in groups for v in group]
    values = [value for group in state for value in group]
    with keras.StatelessScope(zip(variables, values)) as scope:
        logs = _with_scope(scope, variables, batch_fn, data)
    new_state = tuple(
        [scope.get_current_value(v) for v in group] for group in groups
    )
    return logs, new_state


def _with_scope(scope, variables, fn, *args):
    _SCOPES.append((scope, variables))
    try:
        return fn(*args)
    finally:
        _SCOPES.pop()


def _in_nested_scope(fn, variables):
    """`fn(*args)` as a pure function of `(values, *args)`.

    The returned function runs `fn` in a scope mapping `variables` to
    `values` and every other variable of the step to its current value,
    and returns `(fn's output, what fn wrote)`; `_write_back` applies
    the second part to the current scope.
    """
    if not _SCOPES:
        raise RuntimeError(
            "On the JAX backend the zoo's gradient helpers run inside a "
            "training step: call them from `train_batch` through `fit`, "
            "`evaluate` or `train_on_batch`."
        )
    outer, step_variables = _SCOPES[-1]
    targets = {id(v) for v in variables}
    others = [v for v in step_variables if id(v) not in targets]
    before = [outer.get_current_value(v) for v in others]

    def pure(values, *args):
        mapping = list(zip(others, before)) + list(zip(variables, values))
        with keras.StatelessScope(mapping) as inner:
            initial = [inner.get_current_value(v) for v in others]
            outputs = _with_scope(inner, others + variables, fn, *args)
        written = {}
        for index, variable in enumerate(others):
            value = inner.get_current_value(variable)
            if value is not initial[index]:
                written[index] = value
        return outputs, written

    def write_back(written):
        for index, value in written.items():
            outer.add_update((others[index], value))

    return pure, write_back


def value_and_grad(fn, variables):
    pure, write_back = _in_nested_scope(fn, variables)

    def loss_of(values):
        (loss, aux), written = pure(values)
        return loss, (aux, written)

    values = [v.value for v in variables]
    (loss, (aux, written)), grads = jax.value_and_grad(loss_of, has_aux=True)(
        values
    )
    write_back(written)
    return (loss, aux), grads


def vjp(fn, variables):
    pure, write_back = _in_nested_scope(fn, variables)
    values = [v.value for v in variables]
    outputs, pullback, written = jax.vjp(pure, values, has_aux=True)
    write_back(written)
    return outputs, lambda cotangent: pullback(cotangent)[0]


def value_and_input_grad(fn, x, second_order=False):
    # Traced: always differentiable again.
    if not _SCOPES:
        # Outside a step (e.g. inverting a generator), the variables are
        # constants of the traced function.
        return jax.value_and_grad(fn, has_aux=True)(x)
    pure, write_back = _in_nested_scope(fn, [])

    def output_of(x):
        (y, aux), written = pure([], x)
        return y, (aux, written)

    (y, (aux, written)), grads = jax.value_and_grad(output_of, has_aux=True)(x)
    write_back(written)
    return values((y, aux)) if second_order else (y, aux), grads


def compiled(fn, variables, input_specs=None):
    """`fn` jitted, for inference (sampling, inverting a generator).

    The values of `variables` are arguments of the jitted function, read
    at every call: a trace would otherwise hold the values it saw as
    constants, and keep sampling with them after more training. What
    `fn` assigns to variables is dropped. `jax.jit` traces once per input
    shape, whatever `input_specs` says.
    """
    variables = list(variables)

    def with_values(values, *args):
        mapping = list(zip(variables, values))
        with keras.StatelessScope(state_mapping=mapping):
            return fn(*args)

    jitted = jax.jit(with_values)

    def call(*args):
        return jitted([v.value for v in variables], *args)

    return call


def apply_gradients(optimizer, grads, variables):
    # `stateless_apply`, as Keras' own JAX step does: a stateful `apply`
    # inside the step's scope would let tracers escape the `ops.cond` of a
    # `LossScaleOptimizer` (float16).
    scope = _SCOPES[-1][0]
    variables = list(variables)
    (new_values, new_state) = optimizer.stateless_apply(
        [scope.get_current_value(v) for v in optimizer.variables],
        list(grads),
        [scope.get_current_value(v) for v in variables],
    )
    for variable, value in zip(variables, new_values):
        scope.add_update((variable, value))
    for variable, value in zip(optimizer.variables, new_state):
        scope.add_update((variable, value))


# XLA differentiates a convolution's input-dilated form (a transposed
# convolution, or the input gradient of a strided one) with respect to
# its kernel through another input-dilated convolution, which its CPU
# backend runs an order of magnitude slower than TensorFlow (about 1.1 s
# against 80 ms for a DCGAN layer). Both forms are the adjoint, in their
# input, of a strided convolution `A_k`: `<dy, A_k^T(x)> = <A_k(dy), x>`,
# so their kernel gradient is the kernel gradient of `A_k`, which XLA
# computes fast. The values are the same up to rounding.


def conv_transpose(inputs, kernel, options):
    """`keras.ops.conv_transpose`, with a fast kernel gradient on XLA.

    Args:
        inputs: the input tensor.
        kernel: the kernel, as `keras.layers.Conv2DTranspose` holds it.
        options: tuple of `(name, value)` pairs, the other arguments of
            `keras.ops.conv_transpose`.

    Returns:
        The output of `keras.ops.conv_transpose`.
    """
    options = dict(options)

    def transposed(x, k):
        return keras.ops.conv_transpose(x, k, **options)

    def strided(y, k):  # the convolution `transposed` is the adjoint of
        zeros = jax.numpy.zeros(inputs.shape, inputs.dtype)
        _, pullback = jax.vjp(lambda x: transposed(x, k), zeros)
        return pullback(y)[0]

    output = jax.eval_shape(transposed, inputs, kernel)
    return _adjoint(inputs, kernel, strided, (output.shape, output.dtype))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def conv(inputs, kernel, options):
    """`keras.ops.conv` whose input gradient has a fast kernel gradient.

    The gradient of a strided convolution w.r.t. its inputs is an
    input-dilated convolution; a second-order gradient (a gradient
    penalty's, w.r.t. the kernel) goes through its kernel gradient.

    Args:
        inputs: the input tensor.
        kernel: the kernel, as `keras.layers.Conv2D` holds it.
        options: tuple of `(name, value)` pairs, the other arguments of
            `keras.ops.conv`, hashable.

    Returns:
        The output of `keras.ops.conv`.
    """
    return keras.ops.conv(inputs, kernel, **dict(options))


def _conv_forward(inputs, kernel, options):
    return conv(inputs, kernel, options), (inputs, kernel)


def _conv_backward(options, residuals, output_grad):
    inputs, kernel = residuals

    def strided(x, k):
        return keras.ops.conv(x, k, **dict(options))

    _, kernel_pullback = jax.vjp(lambda k: strided(inputs, k), kernel)
    inputs_grad = _adjoint(
        output_grad, kernel, strided, (inputs.shape, inputs.dtype)
    )
    return inputs_grad, kernel_pullback(output_grad)[0]


conv.defvjp(_conv_forward, _conv_backward)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _adjoint(y, kernel, strided, x_spec):
    """`A_k^T(y)`, where `A_k(x) = strided(x, kernel)` is linear in `x`.

    `x_spec` is `(shape, dtype)` of `x`, the domain of `A_k`.
    """
    zeros = jax.numpy.zeros(*x_spec)
    _, pullback = jax.vjp(lambda x: strided(x, kernel), zeros)
    return pullback(y)[0]


def _adjoint_forward(y, kernel, strided, x_spec):
    return _adjoint(y, kernel, strided, x_spec), (y, kernel)


def _adjoint_backward(strided, x_spec, residuals, grad):
    y, kernel = residuals
    # <grad, A_k^T(y)> = <A_k(grad), y>: both gradients through A_k.
    adjoint, kernel_pullback = jax.vjp(lambda k: strided(grad, k), kernel)
    return adjoint, kernel_pullback(y)[0]


_adjoint.defvjp(_adjoint_forward, _adjoint_backward)
