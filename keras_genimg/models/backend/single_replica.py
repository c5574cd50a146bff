"""Replica helpers for backends that train on global batches (JAX, torch).

`keras.distribution` shards a global batch over the devices and computes
one global loss, so a step never sees a replica of its own.
"""


def num_replicas():
    """Replicas a step's loss is split over: always 1 here."""
    return 1


def replica_id():
    """This replica's index: always 0 here."""
    return 0


def step_logs(logs):
    """The step's logs, returned as they are."""
    return logs
