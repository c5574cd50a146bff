"""Check requests against a signature before they are sent, and answers
when they come back."""

import numpy as np

from keras_genimg.serving.errors import ServingError

# The dtypes our signatures use, and the numpy type each is sent as.
NUMPY_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32}


def check_inputs(signature_name, signature, inputs):
    """Returns `inputs` as numpy arrays that fit `signature`, or raises.

    Floating inputs must already be float32 (a float64 array would lose
    precision silently); Python lists are converted. Integer inputs of any
    integer dtype are accepted when their values fit in int32.

    Args:
        signature_name: str. Used in the error messages.
        signature: dict. One entry of a signature table.
        inputs: dict. Input name to array-like.

    Returns:
        A dict of input name to numpy array with the signature's dtype.

    Raises:
        ValueError: on missing or unexpected names, wrong dtypes, ranks or
            sizes, an empty batch, or batch sizes that differ.

    Example:
    >>> signature = {"inputs": {"z": ("DT_FLOAT", (-1, 2))}}
    >>> check_inputs("serving_default", signature, {"z": [[0.5, 1.0]]})
    {'z': array([[0.5, 1. ]], dtype=float32)}
    """
    expected = signature["inputs"]
    if set(inputs) != set(expected):
        raise ValueError(
            f"Signature '{signature_name}' takes the inputs "
            f"{sorted(expected)}. Received: {sorted(inputs)}."
        )
    arrays = {
        key: _check_array(signature_name, key, value, *expected[key])
        for key, value in inputs.items()
    }
    batch_sizes = {key: len(array) for key, array in arrays.items()}
    if len(set(batch_sizes.values())) > 1:
        raise ValueError(
            f"All inputs of signature '{signature_name}' must have the same "
            f"batch size. Received: {batch_sizes}."
        )
    return arrays


def _check_array(signature_name, key, value, dtype, shape):
    if dtype not in NUMPY_DTYPES:
        raise ValueError(
            f"Input '{key}' of signature '{signature_name}' has dtype "
            f"{dtype}, which this client does not send. Supported: "
            f"{', '.join(NUMPY_DTYPES)}."
        )
    target = np.dtype(NUMPY_DTYPES[dtype])
    where = f"Input '{key}' of signature '{signature_name}'"
    array = np.asarray(value)
    if isinstance(value, (list, tuple)) and target.kind == "f":
        # Lists carry no dtype of their own: numbers become the target's.
        if array.dtype.kind in "iuf":
            array = array.astype(target)
    array = _convert(array, target, where)
    if shape is not None:
        expected = "(" + ", ".join("batch" if d < 0 else str(d) for d in shape)
        expected += ",)" if len(shape) == 1 else ")"
        if array.ndim != len(shape) or any(
            d >= 0 and d != size for d, size in zip(shape, array.shape)
        ):
            raise ValueError(
                f"{where} must have shape {expected}. "
                f"Received shape {array.shape}."
            )
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{where} needs a batch of at least one item.")
    return array


def _convert(array, target, where):
    if target.kind == "f":
        if array.dtype != target:
            raise ValueError(
                f"{where} must be {target.name}. Received dtype "
                f"{array.dtype}; convert it with .astype('{target.name}')."
            )
        return array
    if array.dtype.kind not in "iu":
        raise ValueError(
            f"{where} must hold integers. Received dtype {array.dtype}."
        )
    info = np.iinfo(target)
    if array.size and (array.min() < info.min or array.max() > info.max):
        raise ValueError(
            f"{where} must fit in {target.name} [{info.min}, {info.max}]."
        )
    return array.astype(target)


def check_outputs(signature_name, signature, outputs, batch_size, source):
    """Returns `outputs` if they are what `signature` promises, or raises.

    Every output the signature names must be there, of its dtype and
    shape, with one item per request item and finite values; images must
    lie in [0, 1], as the zoo's signatures make them.

    Args:
        signature_name: str. Used in the error messages.
        signature: dict. One entry of a signature table.
        outputs: dict. Output name to numpy array, as the server answered.
        batch_size: int. Items in the request.
        source: str. Who answered (a URL or a path), for the messages.

    Returns:
        `outputs`.

    Raises:
        ServingError: naming `source`, the output and what is wrong.

    Example:
    >>> signature = {"outputs": {"images": ("DT_FLOAT", (-1, 2))}}
    >>> images = np.array([[0.0, 2.0]], "float32")
    >>> check_outputs("sample", signature, {"images": images}, 1, "server")
    Traceback (most recent call last):
    ...
    keras_genimg.serving.errors.ServingError: server answered 'sample' with \
'images' outside [0, 1] (up to 2).
    """
    where = f"{source} answered {signature_name!r}"
    expected = signature["outputs"]
    if set(outputs) != set(expected):
        raise ServingError(
            f"{where} with the outputs {sorted(outputs)}; expected "
            f"{sorted(expected)}."
        )
    for name, (dtype, shape) in expected.items():
        array = np.asarray(outputs[name])
        target = NUMPY_DTYPES.get(dtype)
        if target is not None and array.dtype != target:
            raise ServingError(
                f"{where} with {name!r} of dtype {array.dtype}; expected "
                f"{np.dtype(target).name}."
            )
        if shape is not None and (
            array.ndim != len(shape)
            or any(d >= 0 and d != n for d, n in zip(shape, array.shape))
        ):
            raise ServingError(
                f"{where} with {name!r} of shape {array.shape}; expected "
                f"{tuple(shape)}."
            )
        if array.ndim == 0 or len(array) != batch_size:
            raise ServingError(
                f"{where} with {len(array) if array.ndim else 0} items of "
                f"{name!r} for {batch_size} asked for."
            )
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ServingError(f"{where} with NaN or infinite {name!r}.")
        if (
            name == "images"
            and array.size
            and (array.min() < 0 or array.max() > 1)
        ):
            extreme = array.max() if array.max() > 1 else array.min()
            raise ServingError(
                f"{where} with 'images' outside [0, 1] (up to {extreme:g})."
            )
    return outputs
