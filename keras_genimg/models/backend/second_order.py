"""Whether the forward pass now running is one whose input gradient will
be differentiated again, as `value_and_input_grad(fn, x,
second_order=True)` runs `fn`.

The derivative of a (leaky) ReLU's backward w.r.t. the ReLU's input is
zero, but TensorFlow and PyTorch record it as a tensor of zeros. When the
input gradient is differentiated again (a gradient penalty), those zeros
travel back through the whole forward pass, and every convolution under
the ReLU runs a backward pass on them (about a tenth of a WGAN-GP step on
a CPU). Within such a forward pass the backends' `leaky_relu` records its
backward without that edge, and PyTorch's convolutions record only their
input gradient (see `keras_genimg.models.backend.torch`): the outputs of
the pass are values, not differentiable w.r.t. the variables, on every
backend (`values`).
"""

import contextlib
import threading

from keras import ops, tree

_state = threading.local()


def active():
    """True inside `forward(True)` in this thread."""
    return getattr(_state, "active", False)


@contextlib.contextmanager
def forward(second_order):
    """Marks the forward pass run within as `second_order` (or not)."""
    outer = active()
    _state.active = second_order
    try:
        yield
    finally:
        _state.active = outer


def values(outputs):
    """`outputs` (a structure of tensors, numbers and None) with their
    gradients stopped."""
    return tree.map_structure(
        lambda t: t if t is None else ops.stop_gradient(t), outputs
    )
