"""Runs a functional network layer by layer through each layer's `call`.

Keras' `Layer.__call__` converts and checks the inputs, resolves the
training flag, opens scopes and records masks around every layer's `call`.
On PyTorch, where every step runs eagerly, that costs 50-200 us a layer at
every call: about a fifth of a small model's training step on a CPU. The
zoo's networks are plain chains of built layers in float32, for which all
of that does nothing, so `call_layers` calls the layers' `call` directly,
and the network's own `__call__` still does its work once at the top.
Where a network is not of that kind it returns None, and Keras runs it.
A backend may also give its own functions for some kinds of layer
(`layer_call`; PyTorch's in `torch_layers`), which then skip Keras' ops.
"""

import inspect
import weakref

import keras

# Per network, per `layer_call`: its `_Plan`, or None where Keras must
# run it.
_PLANS = weakref.WeakKeyDictionary()


class _Plan:
    """The steps that run a network, one per layer, and whether every one
    is a backend's own function (`whole`)."""

    __slots__ = ("steps", "whole")

    def __init__(self, steps):
        self.steps = steps
        self.whole = all(step.own for step in steps)


class _Step:
    """One layer of a plan: where its input comes from, where its outputs
    go, and how it is called (`own`: a backend's `(inputs, training)`
    function, in place of the layer's `call`)."""

    __slots__ = ("call", "inputs", "outputs", "takes_training", "own")

    def __init__(self, call, inputs, outputs, takes_training, own):
        self.call = call
        self.inputs = inputs
        self.outputs = outputs
        self.takes_training = takes_training
        self.own = own


def plan_of(network, layer_call=None):
    """The plan that runs `network`: its `steps`, one per layer, each
    with an `own` flag (run by `layer_call`'s function), and `whole`
    (every step is); or None where Keras must run it.

    Args:
        network: a functional `keras.Model`.
        layer_call: a function from a layer to an `(inputs, training)`
            function, or to None for the layer's own `call`; or None.

    Returns:
        A `_Plan`, or None.
    """
    plans = _PLANS.setdefault(network, {})
    if layer_call not in plans:
        plans[layer_call] = _plan(network, layer_call)
    return plans[layer_call]


def call_layers(network, inputs, training=None, layer_call=None, whole=False):
    """The outputs of a functional `network` on eager `inputs`, or None.

    Meant for the network's own `call`: layers that call layers of their
    own pass them the training flag through the call context that the
    network's `__call__` opens.

    Args:
        network: a built functional `keras.Model`.
        inputs: its inputs, tensors, as `network.call` takes them.
        training: the training flag, or None for each layer's default.
        layer_call: see `plan_of`.
        whole: bool. Run only where `layer_call` covers every layer and
            the inputs have the network's shapes: for a call without
            Keras' `__call__` around the network.

    Returns:
        The outputs, structured as `network.output`; or None where the
        network or the inputs need Keras' own call (a layer not in
        float32 or with an activity regularizer, a layer called twice or
        with other arguments, symbolic inputs, inputs of another rank).

    Example:
    >>> inputs = keras.Input((3,))
    >>> network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> x = keras.ops.ones((4, 3))
    >>> outputs = call_layers(network, x)
    >>> bool(keras.ops.all(outputs == network(x)))
    True
    """
    plan = plan_of(network, layer_call)
    flat_inputs = keras.tree.flatten(inputs)
    if plan is None or len(flat_inputs) != len(network.inputs):
        return None
    if whole and not plan.whole:
        return None
    values = {}
    for x, spec in zip(flat_inputs, network.inputs):
        if not keras.ops.is_tensor(x) or len(x.shape) != len(spec.shape):
            return None
        if getattr(getattr(x, "device", None), "type", None) == "meta":
            return None  # PyTorch's shape inference: Keras' own
        if whole and any(
            size is not None and size != actual
            for size, actual in zip(spec.shape[1:], x.shape[1:])
        ):
            return None  # Keras' `__call__` says what is wrong
        if keras.backend.standardize_dtype(x.dtype) != spec.dtype:
            x = keras.ops.cast(x, spec.dtype)
        values[id(spec)] = x
    for step in plan.steps:
        if isinstance(step.inputs, int):  # one tensor
            args = values[step.inputs]
        else:
            args = keras.tree.map_structure(lambda t: values[t], step.inputs)
        if step.own:
            outputs = step.call(args, training)
        elif step.takes_training and training is not None:
            outputs = step.call(args, training=training)
        else:
            outputs = step.call(args)
        if len(step.outputs) == 1 and keras.ops.is_tensor(outputs):
            values[step.outputs[0]] = outputs
            continue
        for key, value in zip(step.outputs, keras.tree.flatten(outputs)):
            values[key] = value
    return keras.tree.map_structure(lambda t: values[id(t)], network.output)


def _plan(network, layer_call):
    """The steps that run `network`, or None where Keras must run it."""
    if not network.built:
        return None
    available = {id(x) for x in network.inputs}
    plan = []
    for layer in network.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if (layer.compute_dtype, layer.variable_dtype) != ("float32",) * 2 or (
            getattr(layer, "activity_regularizer", None) is not None
        ):
            return None  # Keras' `__call__` casts or adds a loss
        signature = inspect.signature(layer.call).parameters
        positional = [
            p
            for p in signature.values()
            if p.name not in ("training", "mask")
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.default is p.empty
        ]
        inputs = keras.tree.map_structure(id, layer.input)
        outputs = [id(x) for x in keras.tree.flatten(layer.output)]
        if len(positional) != 1 or not available.issuperset(
            keras.tree.flatten(inputs)
        ):
            return None  # several tensor arguments, or a layer called twice
        available.update(outputs)
        # A layer that calls layers of its own needs no `__call__` either:
        # the network's `__call__` holds Keras' call context, from which
        # they take the training flag.
        own = layer_call(layer) if layer_call is not None else None
        takes_training = "training" in signature
        plan.append(
            _Step(
                own or layer.call,
                inputs,
                outputs,
                takes_training,
                own is not None,
            )
        )
    if not available.issuperset(id(x) for x in network.outputs):
        return None
    return _Plan(plan)
