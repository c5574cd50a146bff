"""The strategies `genimg train --strategy` trains under.

`mirrored` and `multiworker` are `tf.distribute` strategies, for the
TensorFlow backend; `data-parallel` is `keras.distribution.DataParallel`,
for the JAX backend: every batch split over all local devices.
"""

import contextlib
import json
import os

# Keras is imported where it is used: `genimg --help` reads STRATEGIES
# without starting a backend.

STRATEGIES = ("default", "mirrored", "multiworker", "data-parallel")
# The backend each strategy runs on (`default` runs on every backend).
STRATEGY_BACKENDS = {
    "mirrored": "tensorflow",
    "multiworker": "tensorflow",
    "data-parallel": "jax",
}
TASK_TYPES = ("chief", "worker")


class DataParallel:
    """`keras.distribution.DataParallel` with the face of a strategy.

    Made, it becomes Keras' global distribution: models built after it
    keep their variables on every device, and `fit` splits every batch
    between the devices (on the JAX backend). `scope()` is there for code
    written for `tf.distribute`; it does nothing more.

    Args:
        devices: list of str or None. The devices, e.g. `["gpu:0",
            "gpu:1"]`. Defaults to every device of the backend.
    """

    def __init__(self, devices=None):
        import keras

        self.distribution = keras.distribution.DataParallel(devices=devices)
        keras.distribution.set_distribution(self.distribution)
        self.num_replicas_in_sync = int(
            self.distribution.device_mesh.devices.size
        )

    def scope(self):
        return contextlib.nullcontext()


def get_strategy(name="default", devices=None):
    """Returns the strategy called `name`.

    Build and compile a model inside `strategy.scope()`; `model.fit` then
    splits every batch (the global batch) between the replicas, sums their
    gradients and averages their metrics.

    Args:
        name: str. `"default"` (no distribution: one device), `"mirrored"`
            (TensorFlow: every GPU of this machine, or the CPU when there
            is none), `"multiworker"` (TensorFlow: every GPU of every
            machine listed in the `TF_CONFIG` environment variable, a JSON
            object with a `cluster` and this machine's `task`) or
            `"data-parallel"` (JAX: every device of this machine).
        devices: list of str or None. With `"mirrored"` or
            `"data-parallel"`, the devices to use (e.g. `["/gpu:0",
            "/gpu:1"]`). Defaults to all GPUs.

    Returns:
        A `tf.distribute.Strategy`, or a `DataParallel`.

    Raises:
        ValueError: for an unknown `name`, a strategy of another backend,
            or `"multiworker"` without a valid `TF_CONFIG`.

    Example:
    >>> strategy = get_strategy("default")
    >>> strategy.num_replicas_in_sync
    1
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"Unknown strategy {name!r}. Expected one of: "
            f"{', '.join(STRATEGIES)}."
        )
    import keras

    backend = keras.backend.backend()
    required = STRATEGY_BACKENDS.get(name, backend)
    if required != backend:
        raise ValueError(
            f"The {name!r} strategy runs on the {required} backend "
            f"(--backend {required}); this process runs on {backend}."
        )
    if name == "data-parallel":
        return DataParallel(devices)
    if name == "multiworker":
        # Checked first: TensorFlow's own errors for a bad TF_CONFIG come
        # late and far from the cause.
        read_tf_config()
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def read_tf_config():
    """Reads and checks the `TF_CONFIG` environment variable.

    Returns:
        The parsed dict, with a `cluster` mapping task types to lists of
        `"host:port"` and a `task` naming this process' `type` and `index`.

    Raises:
        ValueError: if `TF_CONFIG` is unset, not JSON, or does not name
            this task in its cluster.

    Example:
    >>> os.environ["TF_CONFIG"] = json.dumps({
    ...     "cluster": {"worker": ["host1:12345", "host2:12345"]},
    ...     "task": {"type": "worker", "index": 1},
    ... })
    >>> read_tf_config()["task"]
    {'type': 'worker', 'index': 1}
    >>> del os.environ["TF_CONFIG"]
    """
    example = (
        '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}'
    )
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError(
            "The 'multiworker' strategy needs the TF_CONFIG environment "
            f"variable on every machine, e.g. TF_CONFIG='{example}'."
        )
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        task_type, index = task["type"], task["index"]
        addresses = cluster[task_type]
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(
            f"Invalid TF_CONFIG ({type(err).__name__}: {err}). Expected a "
            f"JSON object like '{example}'."
        ) from None
    if task_type not in TASK_TYPES or set(cluster) - set(TASK_TYPES):
        raise ValueError(
            f"Invalid TF_CONFIG: task types must be one of: "
            f"{', '.join(TASK_TYPES)}. Received: {sorted(cluster)} and "
            f"task type {task_type!r}."
        )
    if not isinstance(index, int) or not 0 <= index < len(addresses):
        raise ValueError(
            f"Invalid TF_CONFIG: task index {index!r} is not in the "
            f"cluster's {len(addresses)} {task_type!r} address(es)."
        )
    return config


def is_chief(strategy):
    """Whether this process writes the run's outputs.

    With `"multiworker"` that is the `chief` task, or worker 0 when the
    cluster has no chief; otherwise it is always this process.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        bool.

    Example:
    >>> is_chief(get_strategy("default"))
    True
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return (
        not has_chief
        and resolver.task_type == "worker"
        and (resolver.task_id == 0)
    )
