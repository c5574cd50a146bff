"""One training step split over two devices against the step on one.

Called by `zoo_steps --data-parallel` in a JAX process started with
`XLA_FLAGS=--xla_force_host_platform_device_count=2`, where JAX sees two
CPU devices; it sets Keras' global distribution, so it runs last.
"""

import jax
import keras
import numpy as np

from keras_genimg.distribute import get_strategy
from tests.backend_checks.zoo_steps import (
    KnownNoise,
    build,
    data,
    set_known_weights,
)


def one_step(name):
    model = build(name)
    set_known_weights(model)
    if name == "vae":
        model.compile(optimizer=keras.optimizers.SGD(0.01))
    else:
        model.compile(
            d_optimizer=keras.optimizers.SGD(0.01),
            g_optimizer=keras.optimizers.SGD(0.01),
        )
    images, labels = data(name, 8)
    with KnownNoise():
        logs = model.train_on_batch(images, labels, return_dict=True)
    weights = [keras.ops.convert_to_numpy(w) for w in model.weights]
    devices = len(model.weights[0].value.sharding.device_set)
    return logs, weights, devices


def differences():
    """Per model, the largest weight and log differences, and the devices
    holding the weights: `{name: [weights, logs, devices one, devices
    split]}`."""
    assert len(jax.devices()) == 2, jax.devices()
    names = ("dcgan",)  # two optimizers and BatchNorm
    single = {name: one_step(name) for name in names}
    strategy = get_strategy("data-parallel")
    assert strategy.num_replicas_in_sync == 2
    result = {}
    for name in names:
        logs, weights, devices = one_step(name)
        ref_logs, ref_weights, ref_devices = single[name]
        result[name] = [
            max(
                float(np.max(np.abs(a - b)))
                for a, b in zip(weights, ref_weights, strict=True)
            ),
            max(float(abs(logs[k] - ref_logs[k])) for k in logs),
            ref_devices,
            devices,
        ]
    return result
