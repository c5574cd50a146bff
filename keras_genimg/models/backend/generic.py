"""Helpers written with `keras.ops`, for backends with no faster form."""

from keras import ops


def lerp_variables(variables, targets, weight):
    """Moves each variable by `weight` of the way to its target, in place:
    `v += weight * (target - v)`."""
    for variable, target in zip(variables, targets):
        target = ops.cast(target, variable.dtype)
        step = ops.cast(weight, variable.dtype)
        variable.assign(variable + step * (target - variable))
