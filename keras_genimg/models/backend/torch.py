"""Training-step plumbing on the PyTorch backend: autograd."""

import math

import keras
import torch
import torch.nn.functional as F

from keras_genimg.models.backend.second_order import (
    active as in_second_order_forward,
)
from keras_genimg.models.backend.second_order import (
    forward as second_order_forward,
)
from keras_genimg.models.backend.second_order import values


class Trainer:
    """Mixin: Keras' `train_step`/`test_step` run the model's batch steps.

    On PyTorch a step is eager and stateful, as on TensorFlow. Keras runs
    `test_step` under `torch.no_grad()`; `value_and_input_grad` turns gradients
    back on where a test step needs one (the WGAN-GP penalty).
    """

    def train_step(self, data):
        return self.train_batch(data)

    def test_step(self, data):
        return self.test_batch(data)


def _tensors(variables):
    return [v.value for v in variables]


def _zeros_for_unused(grads, tensors):
    return [
        torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors)
    ]


def value_and_grad(fn, variables):
    loss, aux = fn()
    tensors = _tensors(variables)
    grads = torch.autograd.grad(loss, tensors, allow_unused=True)
    return (loss, aux), _zeros_for_unused(grads, tensors)


def vjp(fn, variables):
    outputs = fn()
    tensors = _tensors(variables)

    def pullback(cotangent):
        grads = torch.autograd.grad(
            outputs, tensors, grad_outputs=cotangent, allow_unused=True
        )
        return _zeros_for_unused(grads, tensors)

    return outputs, pullback


def value_and_input_grad(fn, x, second_order=False):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        with second_order_forward(second_order):
            outputs = fn(x)
        (grads,) = torch.autograd.grad(outputs[0], x, create_graph=second_order)
    return values(outputs) if second_order else outputs, grads


def leaky_relu(x, negative_slope):
    """`F.leaky_relu(x, negative_slope)`; in a forward pass whose input
    gradient is differentiated again (`second_order`), with a backward
    differentiable w.r.t. the incoming gradient only (no backward pass on
    zeros). Elsewhere torch's own: a custom autograd function costs time
    in Python at every call."""
    if _second_order_eager():
        return _LeakyReLU.apply(x, negative_slope)
    return F.leaky_relu(x, negative_slope)


def _second_order_eager():
    """Whether the leaky ReLU and convolutions take their second-order
    forms: in a `second_order` forward pass, and eagerly (under
    `torch.compile` torch's own ops are traced as they are)."""
    return in_second_order_forward() and not torch.compiler.is_compiling()


class _LeakyReLU(torch.autograd.Function):
    """`F.leaky_relu`; its backward is differentiable w.r.t. the incoming
    gradient only."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return F.leaky_relu(x, negative_slope)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.saved_tensors[0].detach()
        slope = ctx.negative_slope
        return torch.ops.aten.leaky_relu_backward(grad, x, slope, False), None


def compiled(fn, variables, input_specs=None):
    """`fn` itself: PyTorch runs eagerly (`variables`, `input_specs`
    unused)."""
    return fn


def apply_gradients(optimizer, grads, variables):
    _use_fused_adam(getattr(optimizer, "inner_optimizer", optimizer))
    with torch.no_grad():
        optimizer.apply(list(grads), list(variables))


# Keras' PyTorch Adam updates the weights with ten `torch._foreach_*`
# passes over them, about ten times the time of torch's fused Adam kernel
# (4 ms against 0.4 ms per step for the VAE on a 2-core CPU, a third of
# its step). `_use_fused_adam` makes a Keras Adam compute its update with
# that kernel. It replaces `_parallel_update_step`, the private method of
# Keras' PyTorch optimizers that computes the update (Keras 3.10-3.15);
# Keras still does the rest (learning-rate schedules, clipping, weight
# decay, gradient accumulation, EMA, the step counter). tests/backends
# checks that the kernel runs and gives Keras' numbers.
_KERAS_ADAM = type(keras.optimizers.Adam())


def _use_fused_adam(optimizer):
    if (
        type(optimizer) is _KERAS_ADAM
        and not optimizer.amsgrad
        and "_parallel_update_step" not in vars(optimizer)
    ):
        keras_update = optimizer._parallel_update_step

        def update(grads, variables, learning_rate):
            if not _fused_adam_update(
                optimizer, grads, variables, learning_rate
            ):
                keras_update(grads, variables, learning_rate)

        optimizer._parallel_update_step = update


def _fused_adam_update(optimizer, grads, variables, learning_rate):
    """Keras' Adam update in torch's fused kernel; False where it cannot
    run (weights of several dtypes or devices, sparse gradients) or
    should not (off the CPU)."""
    if torch.compiler.is_compiling():
        return False  # Keras' update compiles; this one does not
    values = [variable.value for variable in variables]
    if values[0].device.type != "cpu":
        # The kernel takes the step and learning rate as Python numbers,
        # read from the device: free on the CPU, a synchronization per
        # step on an accelerator, where Keras' update is kept.
        return False
    # The kernel reads memory in order: a gradient that is a permuted view
    # (a convolution kernel's, here) must be copied first.
    grads = [grad.contiguous() for grad in grads]
    kinds = {(t.dtype, t.device, t.layout) for t in values + grads}
    contiguous = all(value.is_contiguous() for value in values)
    if len(kinds) != 1 or values[0].layout != torch.strided or not contiguous:
        return False
    index = optimizer._get_variable_index
    momentums = [optimizer._momentums[index(v)].value for v in variables]
    velocities = [optimizer._velocities[index(v)].value for v in variables]
    step = float(optimizer.iterations.value) + 1.0
    # Keras adds epsilon to sqrt(v) before correcting v's bias, torch after:
    # this epsilon gives Keras' update.
    epsilon = optimizer.epsilon / math.sqrt(1.0 - optimizer.beta_2**step)
    steps = [torch.tensor(step, device=values[0].device)] * len(values)
    torch._fused_adam_(
        values,
        grads,
        momentums,
        velocities,
        [],
        steps,
        lr=float(learning_rate),
        beta1=optimizer.beta_1,
        beta2=optimizer.beta_2,
        weight_decay=0.0,
        eps=epsilon,
        amsgrad=False,
        maximize=False,
    )
    return True


# Keras' PyTorch convolutions copy a channels-last batch to channels-first
# and back to channels-last memory before every call. A channels-last
# batch, permuted to NCHW, already is channels-last memory, which oneDNN
# takes as it is: these call torch directly, without the copies, for the
# zoo's common cases (2D, channels-last, no output padding), and Keras'
# ops otherwise. The values are the same up to rounding.


def _same_padding(size, kernel_size, stride, dilation):
    """The `(before, after)` padding of one axis for "same" outputs."""
    output = -(-size // stride)
    span = (kernel_size - 1) * dilation + 1
    total = max((output - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def _direct(inputs, options, *unsupported):
    """Whether torch is called directly for these `options` (a dict)."""
    return (
        inputs.ndim == 4
        and options["data_format"] == "channels_last"
        and options["padding"] in ("same", "valid")
        and all(options.get(name) is None for name in unsupported)
    )


def conv(inputs, kernel, options):
    """`keras.ops.conv` on channels-last memory, without copies.

    Args:
        inputs: the input tensor.
        kernel: the kernel, as `keras.layers.Conv2D` holds it.
        options: tuple of `(name, value)` pairs, the other arguments of
            `keras.ops.conv`.

    Returns:
        The output of `keras.ops.conv`.
    """
    options = dict(options)
    if not _direct(inputs, options):
        return keras.ops.conv(inputs, kernel, **options)
    strides, dilation = options["strides"], options["dilation_rate"]
    x = inputs.permute(0, 3, 1, 2)
    padding = 0
    if options["padding"] == "same":
        (top, bottom), (left, right) = (
            _same_padding(x.shape[axis], kernel.shape[axis - 2],
                          strides[axis - 2], dilation[axis - 2])
            for axis in (2, 3)
        )  # fmt: skip
        if (top, left) == (bottom, right):
            padding = (top, left)
        else:
            x = F.pad(x, (left, right, top, bottom))
    groups = x.shape[1] // kernel.shape[2]
    kernel = kernel.permute(3, 2, 0, 1).contiguous(
        memory_format=torch.channels_last
    )
    if _second_order_eager():
        params = (strides, _pair(padding), dilation, groups)
        y = _SecondOrderConv2d.apply(x, kernel, params)
    else:
        y = F.conv2d(x, kernel, None, strides, padding, dilation, groups)
    return y.permute(0, 2, 3, 1)


def _pair(padding):
    return (padding, padding) if isinstance(padding, int) else padding


def _convolution_backward(grad, x, kernel, params, mask):
    stride, padding, dilation, groups = params
    return torch.ops.aten.convolution_backward(
        grad, x, kernel, None, stride, padding, dilation, False, [0, 0],
        groups, mask,
    )  # fmt: skip


class _SecondOrderConv2d(torch.autograd.Function):
    """`F.conv2d(x, kernel)` in a forward pass whose input gradient is
    differentiated again, and only that: its backward gives the input
    gradient (`_ConvInputGradient`), and no kernel gradient."""

    @staticmethod
    def forward(ctx, x, kernel, params):
        ctx.save_for_backward(x, kernel)
        ctx.params = params
        stride, padding, dilation, groups = params
        return F.conv2d(x, kernel, None, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        x, kernel = ctx.saved_tensors
        x_grad = _ConvInputGradient.apply(grad, x.detach(), kernel, ctx.params)
        return x_grad, None, None


class _ConvInputGradient(torch.autograd.Function):
    """A convolution's input gradient, as a function of the output
    gradient and the kernel. Torch's own takes its kernel gradient by a
    convolution with batch and channels swapped (1.3 ms for the WGAN-GP
    critic's 16x64x14x14 batch on 2 cores); this one by torch's kernel
    gradient kernel."""

    @staticmethod
    def forward(ctx, grad, x, kernel, params):
        ctx.save_for_backward(grad, x, kernel)
        ctx.params = params
        mask = [True, False, False]
        return _convolution_backward(grad, x, kernel, params, mask)[0]

    @staticmethod
    def backward(ctx, upstream):
        grad, x, kernel = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        grad_grad = kernel_grad = None
        if ctx.needs_input_grad[0]:
            grad_grad = F.conv2d(
                upstream, kernel, None, stride, padding, dilation, groups
            )
        if ctx.needs_input_grad[2]:
            # <upstream, conv_transpose(grad, kernel)> is
            # <conv(upstream, kernel), grad>: a kernel gradient.
            mask = [False, True, False]
            kernel_grad = _convolution_backward(
                grad, upstream, kernel.detach(), ctx.params, mask
            )[1]
        return grad_grad, None, kernel_grad, None


def conv_transpose(inputs, kernel, options):
    """`keras.ops.conv_transpose` on channels-last memory, without copies.

    Args:
        inputs: the input tensor.
        kernel: the kernel, as `keras.layers.Conv2DTranspose` holds it.
        options: tuple of `(name, value)` pairs, the other arguments of
            `keras.ops.conv_transpose`.

    Returns:
        The output of `keras.ops.conv_transpose`.
    """
    options = dict(options)
    strides, dilation = options["strides"], options["dilation_rate"]
    # Torch's full output, less Keras' size, is cropped off: half of it
    # before (rounded down), as Keras crops.
    excess = [
        (kernel.shape[axis] - 1) * dilation[axis] + 1 - strides[axis]
        for axis in (0, 1)
    ]
    if not _direct(inputs, options, "output_padding") or min(excess) < 0:
        return keras.ops.conv_transpose(inputs, kernel, **options)
    crops = excess if options["padding"] == "same" else [0, 0]
    (top, left), (bottom, right) = (
        [crop // 2 for crop in crops],
        [crop - crop // 2 for crop in crops],
    )
    even = (top, left) == (bottom, right)
    # Torch's padding crops its output evenly; an uneven crop is a slice,
    # copied so that the next layers get contiguous memory.
    y = F.conv_transpose2d(
        inputs.permute(0, 3, 1, 2),
        kernel.permute(3, 2, 0, 1),
        stride=strides,
        padding=(top, left) if even else 0,
        dilation=dilation,
    ).permute(0, 2, 3, 1)
    if even:
        return y
    return y[
        :, top : y.shape[1] - bottom, left : y.shape[2] - right
    ].contiguous()


def fused_batch_norm(inputs, gamma, beta, epsilon):
    """Normalizes NHWC `inputs` by their batch statistics in one kernel.

    Returns `(outputs, mean, variance)`, the variance biased (divided
    by the count), as `keras.ops.moments` gives it.
    """
    outputs, mean, inverse_std = torch.native_batch_norm(
        inputs.permute(0, 3, 1, 2), gamma, beta, None, None, True, 0.0, epsilon
    )
    with torch.no_grad():
        variance = inverse_std.float().pow(-2) - epsilon
    return outputs.permute(0, 2, 3, 1), mean.detach(), variance


def lerp_variables(variables, targets, weight):
    """Moves each variable by `weight` of the way to its target, in place:
    `v += weight * (target - v)`, outside any gradient."""
    with torch.no_grad():
        weight = keras.ops.convert_to_tensor(weight, "float32")
        for variable, target in zip(variables, targets):
            value = variable.value
            target = keras.ops.convert_to_tensor(target, value.dtype)
            value.lerp_(target, weight.to(value.dtype))
