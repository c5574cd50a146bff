"""An exponential moving average of a network's weights (Polyak averaging).

GAN generators oscillate around a good solution; the running average of
their weights makes better samples than the weights of any one step
(Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
Training", 2019). Keras' `Optimizer(use_ema=True)` keeps such an average
but writes it over the trained weights at the end of `fit`, so training
could not go on from the raw weights; here the average lives in a
network of its own, beside the trained one.
"""

import keras
from keras import ops

from keras_genimg.models.backend import lerp_variables


def averaged_copy(network, name):
    """A frozen copy of `network` to hold the average of its weights.

    Its weights are non-trainable (saved with the model, threaded
    through a JAX step as state) and start equal to the network's.

    Args:
        network: a functional `keras.Model`.
        name: str. The copy's name.

    Returns:
        The new `keras.Model`.

    Example:
    >>> import numpy as np
    >>> inputs = keras.Input((3,))
    >>> network = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> copy = averaged_copy(network, "average")
    >>> len(copy.trainable_weights), len(copy.non_trainable_weights)
    (0, 2)
    >>> x = np.ones((1, 3), "float32")
    >>> to_numpy = keras.ops.convert_to_numpy
    >>> bool(np.allclose(to_numpy(copy(x)), to_numpy(network(x))))
    True
    """
    copy = keras.models.clone_model(network)
    copy.name = name
    for average, weight in zip(copy.weights, network.weights, strict=True):
        if average.shape != weight.shape:
            raise ValueError(
                f"The copy of {network.name!r} lists its weights in another "
                f"order: {average.path} {average.shape} against "
                f"{weight.path} {weight.shape}."
            )
        # A copy of the values: on JAX, two variables holding one buffer
        # could not both be donated to a jitted step.
        average.assign(ops.convert_to_numpy(weight))
    copy.trainable = False
    return copy


def update_average(average, network, decay, step):
    """Moves `average`'s weights towards `network`'s.

    `average = d * average + (1 - d) * weights` with
    `d = min(decay, (1 + step) / (10 + step))`: the average follows the
    weights closely in the first steps, when they move fast, and with
    `decay` later (the warm-up of TensorFlow's ExponentialMovingAverage).
    With `decay = 0` the average is the weights.

    Args:
        average: the network from `averaged_copy(network)`.
        network: the trained network.
        decay: float in [0, 1).
        step: int or int tensor, the number of updates made so far.

    Example:
    >>> import numpy as np
    >>> inputs = keras.Input((1,))
    >>> network = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    >>> network.set_weights([np.zeros((1, 1)), np.zeros(1)])
    >>> average = averaged_copy(network, "average")
    >>> network.set_weights([np.ones((1, 1)), np.ones(1)])
    >>> update_average(average, network, decay=0.9, step=100)
    >>> round(float(average.weights[0][0, 0]), 6)  # 0.9 * 0 + 0.1 * 1
    0.1
    """
    step = ops.cast(step, "float32")
    decay = ops.minimum(float(decay), (1.0 + step) / (10.0 + step))
    lerp_variables(average.weights, network.weights, 1.0 - decay)
