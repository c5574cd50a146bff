"""Training-step plumbing on the PyTorch backend: autograd."""

import torch


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


def value_and_input_grad(fn, x):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        y, aux = fn(x)
        (grads,) = torch.autograd.grad(y, x, create_graph=True)
    return (y, aux), grads


def compiled(fn, variables):
    """`fn` itself: PyTorch runs eagerly (`variables` unused)."""
    return fn


def apply_gradients(optimizer, grads, variables):
    with torch.no_grad():
        optimizer.apply(list(grads), list(variables))
