"""Check an export the way TF Serving will use it, before it is published."""

import os

import numpy as np

from keras_genimg.export import warmup
from keras_genimg.export.signatures import signature_table
from keras_genimg.serving import signature_table as tables
from keras_genimg.serving.graph_session import GraphSession

SERVING_DTYPES = ("DT_FLOAT", "DT_INT32")
AUTOMATIC_NAMES = ("args_", "inputs_", "input_", "output_")


class ExportError(RuntimeError):
    """An export does not meet the serving contract; it was not published."""


def serving_rule_errors(table):
    """Lists how a signature table breaks the rules of a servable export.

    The rules: float32 or int32 tensors only, every input and output of
    rank >= 1 with an unknown batch dimension, and names chosen by us
    rather than generated ones (`args_0`, `output_0`, ...).

    Args:
        table: dict. A signature table.

    Returns:
        A list of messages, empty when every rule holds.

    Example:
    >>> serving_rule_errors({"s": {"method": "tensorflow/serving/predict",
    ...     "inputs": {"args_0": ("DT_HALF", (2,))}, "outputs": {}}})
    ... # doctest: +NORMALIZE_WHITESPACE
    ["s: input 'args_0' has a generated name", "s: input 'args_0' is
     DT_HALF, not one of DT_FLOAT, DT_INT32", "s: input 'args_0' has
     shape (2,); the batch dimension must be -1"]
    """
    errors = []
    for name, signature in table.items():
        if signature["method"] != "tensorflow/serving/predict":
            errors.append(f"{name}: method is {signature['method']!r}")
        for kind in ("inputs", "outputs"):
            for key, (dtype, shape) in signature[kind].items():
                where = f"{name}: {kind[:-1]} {key!r}"
                if key.startswith(AUTOMATIC_NAMES):
                    errors.append(f"{where} has a generated name")
                if dtype not in SERVING_DTYPES:
                    errors.append(
                        f"{where} is {dtype}, not one of "
                        f"{', '.join(SERVING_DTYPES)}"
                    )
                if not shape or shape[0] != -1:
                    errors.append(
                        f"{where} has shape {shape}; the batch dimension "
                        "must be -1"
                    )
    return errors


def verify_export(path, signatures, requests, atol=1e-4):
    """Checks a written SavedModel against its signatures, or raises.

    The signature table read from `saved_model.pb` must equal the one the
    signatures promise and keep the serving rules. Then the model is
    loaded like TF Serving loads it (a TF1 session, tensors fed and
    fetched by name), every request is run, and each output must match
    the Keras model's (`Signature.reference`).

    Args:
        path: str. The SavedModel directory.
        signatures: dict of `Signature`, as given to the export.
        requests: list of `(signature_name, inputs)` to run; the warmup
            requests when there are any.
        atol: float. Absolute tolerance of the comparison with Keras.

    Raises:
        ExportError: on the first difference found.
    """
    found = tables.from_saved_model(path)
    expected = signature_table(signatures)
    if found != expected:
        raise ExportError(
            f"The signatures written to {path} differ from the expected "
            f"ones.\nWritten: {found}\nExpected: {expected}"
        )
    errors = serving_rule_errors(found)
    if errors:
        raise ExportError("; ".join(errors))
    if os.path.exists(warmup.warmup_path(path)):
        written = warmup.read_warmup_requests(path)
        if len(written) != len(requests):
            raise ExportError(
                f"{len(written)} warmup records written, "
                f"{len(requests)} expected."
            )
    with GraphSession(path) as session:
        for signature_name, inputs in requests:
            outputs = session.run(signature_name, inputs)
            reference = signatures[signature_name].reference(inputs)
            _compare(signature_name, outputs, reference, atol)


def _compare(signature_name, outputs, reference, atol):
    for key, expected in reference.items():
        got = outputs[key]
        if got.dtype != np.float32 or got.shape != expected.shape:
            raise ExportError(
                f"'{signature_name}' output {key!r} is {got.dtype} "
                f"{got.shape}; Keras gives float32 {expected.shape}."
            )
        if not np.allclose(got, expected, 1e-3, atol, equal_nan=True):
            worst = float(np.max(np.abs(got - expected)))
            raise ExportError(
                f"'{signature_name}' output {key!r} differs from the Keras "
                f"model's by up to {worst:.3g}."
            )
