"""The zoo's PyTorch kernels against what Keras computes, on PyTorch.

- `BatchNormalization` trained with torch's fused kernel, against
  `keras.layers.BatchNormalization`: outputs, gradients (inputs, scale,
  offset) and moving statistics, in float32 and mixed bfloat16.
- A Keras Adam updated by the zoo's `apply_gradients` (torch's fused
  kernel) against Keras' own update, over several steps, with a
  learning-rate schedule, and with clipping and weight decay; and the
  same under `torch.compile` (`compile(jit_compile=True)`).
- Every network of every zoo model called directly, layer by layer
  (`backend.call_layers`), against Keras running the same layers.
- The WGAN-GP critic's gradient penalty differentiated w.r.t. its
  weights through `backend.value_and_input_grad` (the zoo's LeakyReLU
  and convolutions then record only what the penalty needs), against
  torch's own second-order autograd of the same critic: values, and
  which convolution ops each ran.

Each also says how often the torch kernel ran, so that a change in Keras
which quietly bypasses it shows.
"""

import contextlib

import keras
import numpy as np
import torch

from keras_genimg import models
from keras_genimg.models import BatchNormalization, backend
from keras_genimg.models.backend import direct_calls, torch_layers
from keras_genimg.models.networks import Network
from tests import model_checks
from tests.backend_checks.convolutions import relative_difference


@contextlib.contextmanager
def counting(name):
    """Counts the calls of `torch.<name>` within the block."""
    original = getattr(torch, name)
    calls = []

    def counted(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    setattr(torch, name, counted)
    try:
        yield calls
    finally:
        setattr(torch, name, original)


def largest_difference(a, b):
    return max(
        float(np.max(np.abs(np.asarray(x, "float64") - np.asarray(y))))
        for x, y in zip(a, b)
    )


def batch_norm_training(layer, x):
    """Outputs, gradients and moving statistics after one training call."""
    x = torch.tensor(x, requires_grad=True)
    y = layer(x, training=True)
    loss = torch.sum(y.float() ** 3)
    weights = [w.value for w in layer.trainable_weights]
    grads = torch.autograd.grad(loss, [x, *weights])
    moving = [w.numpy() for w in layer.non_trainable_weights]
    values = [t.detach().float().numpy() for t in (y, *grads)]
    return values + moving


def batch_norm_differences(dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (8, 5, 5, 6)).astype("float32")
    ours = BatchNormalization(dtype=dtype)
    keras_layer = keras.layers.BatchNormalization(dtype=dtype)
    for layer in (ours, keras_layer):
        layer.build(x.shape)
    weights = [rng.uniform(0.5, 1.5, w.shape) for w in ours.weights]
    for layer in (ours, keras_layer):
        layer.set_weights(weights)
    with counting("native_batch_norm") as calls:
        got = batch_norm_training(ours, x)
    expected = batch_norm_training(keras_layer, x)
    return {
        "relative": [relative_difference(g, e) for g, e in zip(got, expected)],
        "moved": not np.allclose(got[-1], weights[-1]),
        "kernel_calls": len(calls),
    }


def adam_differences(**options):
    """Weights and optimizer variables after 5 steps, fused against Keras."""
    rng = np.random.default_rng(1)
    shapes = [(3, 3, 2, 4), (4,), (10, 5)]
    initial = [rng.normal(size=s).astype("float32") for s in shapes]
    grads = [
        [torch.tensor(rng.normal(size=s).astype("float32")) for s in shapes]
        for _ in range(5)
    ]
    for step_grads in grads:
        # A kernel's gradient may be a view in another order.
        step_grads[0] = step_grads[0].permute(3, 2, 0, 1).contiguous()
        step_grads[0] = step_grads[0].permute(2, 3, 1, 0)
        assert not step_grads[0].is_contiguous()

    def train(apply):
        variables = [keras.Variable(value) for value in initial]
        optimizer = keras.optimizers.Adam(**options)
        for step_grads in grads:
            apply(optimizer, step_grads, variables)
        states = [*variables, *optimizer.variables]
        return [keras.ops.convert_to_numpy(v) for v in states]

    def keras_apply(optimizer, grads, variables):
        with torch.no_grad():
            optimizer.apply(grads, variables)

    with counting("_fused_adam_") as calls:
        got = train(backend.apply_gradients)
    expected = train(keras_apply)
    return {
        "difference": largest_difference(got, expected),
        "moved": largest_difference(got[:3], initial),
        "kernel_calls": len(calls),
    }


def compiled_step_difference():
    """An Adam step and a moving average under `torch.compile` (where the
    fused kernel steps aside for Keras' update), against eager."""

    def run(compile):
        variables = [keras.Variable(np.full((3, 2), 1.0, "float32")),
                     keras.Variable(np.zeros(2, "float32"))]  # fmt: skip
        optimizer = keras.optimizers.Adam(0.1)

        def step(grads):
            backend.apply_gradients(optimizer, grads, variables)
            backend.lerp_variables(variables[1:], [variables[0][0]], 0.5)

        step = torch.compile(step) if compile else step
        for scale in (1.0, -2.0):
            step([torch.full((3, 2), scale), torch.full((2,), scale)])
        return [keras.ops.convert_to_numpy(v) for v in variables]

    return largest_difference(run(True), run(False))


def network_inputs(network, rng):
    """Random inputs of `network`, batch of 4; integers are labels."""
    inputs = []
    for spec in network.inputs:
        shape = (4, *spec.shape[1:])
        if "int" in spec.dtype:
            inputs.append(rng.integers(0, model_checks.NUM_CLASSES, shape))
        else:
            inputs.append(rng.normal(size=shape).astype(spec.dtype))
    inputs = [keras.ops.convert_to_tensor(x) for x in inputs]
    return inputs if len(inputs) > 1 else inputs[0]


def direct_call_differences():
    """Per network of each zoo model, in training and inference mode: the
    largest difference between its direct call and Keras' run of the same
    layers, and whether the direct call ran."""
    rng = np.random.default_rng(0)
    results = {}
    for name in models.names():
        model = model_checks.build(name)
        for network in model.layers:
            if not isinstance(network, Network):
                continue
            inputs = network_inputs(network, rng)
            # A plain functional model over the same layers: Keras calls each.
            through_keras = keras.Model(network.inputs, network.outputs)
            for training in (True, False):
                values = [keras.ops.copy(v.value) for v in network.variables]
                ours = network(inputs, training=training)
                state = [keras.ops.copy(v.value) for v in network.variables]
                # From the same state: spectral norm's and batch norm's
                # variables move in training calls.
                for variable, value in zip(network.variables, values):
                    variable.assign(value)
                theirs = through_keras(inputs, training=training)
                plan = direct_calls.plan_of(network, torch_layers.layer_call)
                results[f"{name}/{network.name}/{training}"] = {
                    "difference": largest_difference(
                        *(
                            [
                                keras.ops.convert_to_numpy(y)
                                for y in keras.tree.flatten(outputs)
                            ]
                            for outputs in (ours, theirs)
                        )  # fmt: skip
                    ),
                    # The variables after the call (moving statistics,
                    # the power iteration's vector).
                    "state_difference": largest_difference(
                        *(
                            [keras.ops.convert_to_numpy(v) for v in values]
                            for values in (state, network.variables)
                        )
                    ),
                    "direct": plan is not None,
                    # Every layer a torch call: no Keras `__call__` at all.
                    "whole": plan is not None and plan.whole,
                }
    return results


def gradient_penalty_check():
    """The penalty `mean (||dD/dx|| - 1)^2` of the zoo's WGAN-GP critic and
    its gradients w.r.t. the critic's weights: through
    `backend.value_and_input_grad(..., second_order=True)`, and through
    torch's autograd called directly. Returns the largest relative
    difference, each one's count of torch's convolution ops, and whether
    the score came back as a value."""
    critic = model_checks.build("wgan_gp").critic
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(4, *critic.input_shape[1:])),
                     dtype=torch.float32)  # fmt: skip
    weights = [w.value for w in critic.trainable_weights]

    def scores(images):
        return keras.ops.sum(critic(images, training=True)), None

    def with_torch_autograd():
        images = x.clone().requires_grad_(True)
        (score, _) = scores(images)
        return torch.autograd.grad(score, images, create_graph=True)[0]

    score_is_a_value = []

    def through_backend():
        (score, _), grads = backend.value_and_input_grad(
            scores, x, second_order=True
        )
        score_is_a_value.append(not score.requires_grad)
        return grads

    results = {}
    for name, input_grad in (("torch", with_torch_autograd),
                             ("ours", through_backend)):  # fmt: skip
        with torch.profiler.profile() as profile:
            grads = input_grad()
            norms = torch.sqrt(torch.sum(grads**2, dim=(1, 2, 3)))
            penalty = torch.mean((norms - 1.0) ** 2)
            weight_grads = torch.autograd.grad(
                penalty, weights, allow_unused=True
            )
        results[name] = {
            "values": [penalty.detach().numpy()]
            + [
                np.zeros(w.shape) if g is None else g.numpy()
                for g, w in zip(weight_grads, weights)
            ],
            "ops": {
                event.key: event.count
                for event in profile.key_averages()
                if "convolution" in event.key
            },
        }
    ours, theirs = results["ours"]["values"], results["torch"]["values"]
    return {
        "convolutions": sum(
            isinstance(layer, keras.layers.Conv2D) for layer in critic.layers
        ),
        "score_is_a_value": score_is_a_value == [True],
        "difference": max(
            relative_difference(a, b) for a, b in zip(ours, theirs)
        ),
        "ops": {name: result["ops"] for name, result in results.items()},
    }


def report():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    return {
        "batch_norm": {
            dtype: batch_norm_differences(dtype)
            for dtype in ("float32", "mixed_bfloat16")
        },
        "adam": {
            "plain": adam_differences(learning_rate=0.01),
            "schedule": adam_differences(
                learning_rate=schedule, beta_1=0.5, epsilon=0.1
            ),
            "clipped": adam_differences(
                learning_rate=0.01, clipnorm=0.5, weight_decay=0.1
            ),
            "amsgrad": adam_differences(learning_rate=0.01, amsgrad=True),
        },
        "compiled_step_difference": compiled_step_difference(),
        "direct_calls": direct_call_differences(),
        "gradient_penalty": gradient_penalty_check(),
    }
