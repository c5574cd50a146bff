"""Signatures as plain tables, read from protos or TF Serving's JSON.

A signature table maps each signature name to its method and to the
dtype and shape of every named input and output::

    {"serving_default": {
        "method": "tensorflow/serving/predict",
        "inputs": {"z": ("DT_FLOAT", (-1, 16))},
        "outputs": {"images": ("DT_FLOAT", (-1, 28, 28, 1))}}}

Dtypes keep TensorFlow's enum names and unknown sizes are -1, as
`saved_model_cli` prints them; a shape of unknown rank is `None`.
Signatures whose names start with `__` (TensorFlow's own
`__saved_model_init_op`) are left out.
"""

import os

SAVED_MODEL_FILE = "saved_model.pb"


def from_json(signature_def_map):
    """Reads a table from the JSON of a `SignatureDefMap`.

    Args:
        signature_def_map: dict. The `metadata.signature_def` object of
            TF Serving's REST `/metadata` answer.

    Returns:
        The signature table.

    Example:
    >>> from_json({"signature_def": {"sample": {
    ...     "method_name": "tensorflow/serving/predict",
    ...     "inputs": {"seed": {"dtype": "DT_INT32",
    ...                         "tensor_shape": {"dim": [{"size": "-1"}]}}},
    ...     "outputs": {}}}})
    {'sample': {'method': 'tensorflow/serving/predict', \
'inputs': {'seed': ('DT_INT32', (-1,))}, 'outputs': {}}}
    """
    table = {}
    for name, signature in signature_def_map.get("signature_def", {}).items():
        if name.startswith("__"):
            continue
        table[name] = {
            "method": signature.get("method_name", ""),
            "inputs": _infos_from_json(signature.get("inputs", {})),
            "outputs": _infos_from_json(signature.get("outputs", {})),
        }
    return table


def check(table):
    """Raises `ValueError` unless `table` is a well-formed signature table.

    Example:
    >>> check({"sample": {"method": "", "inputs": {"seed": ("DT_INT32",
    ...     (-1,))}, "outputs": {}}})
    >>> check({"sample": {"method": "", "inputs": {"seed": ("DT_INT32",
    ...     ("x",))}, "outputs": {}}})
    Traceback (most recent call last):
    ...
    ValueError: 'sample' input 'seed': expected a dtype name and a shape of \
integers. Received: ('DT_INT32', ('x',))
    """
    for name, signature in table.items():
        for kind in ("inputs", "outputs"):
            for key, info in signature[kind].items():
                dtype, shape = info
                if not (
                    isinstance(dtype, str)
                    and (
                        shape is None or all(isinstance(d, int) for d in shape)
                    )
                ):
                    raise ValueError(
                        f"{name!r} {kind[:-1]} {key!r}: expected a dtype name "
                        f"and a shape of integers. Received: {info}"
                    )


def _infos_from_json(infos):
    table = {}
    for key, info in infos.items():
        shape = info.get("tensor_shape", {})
        if shape.get("unknown_rank"):
            dims = None
        else:
            dims = tuple(int(d.get("size", -1)) for d in shape.get("dim", []))
        table[key] = (info.get("dtype", "DT_INVALID"), dims)
    return table


def from_proto(signature_defs):
    """Reads a table from `SignatureDef` protos.

    Args:
        signature_defs: mapping of signature name to
            `tensorflow.core.protobuf.meta_graph_pb2.SignatureDef`, e.g. a
            `MetaGraphDef.signature_def` or a `SignatureDefMap`'s field.

    Returns:
        The signature table.
    """
    # TensorFlow's protos only here: the REST client needs no TensorFlow.
    from tensorflow.core.framework import types_pb2

    def infos(tensor_infos):
        table = {}
        for key, info in tensor_infos.items():
            shape = info.tensor_shape
            dims = (
                None
                if shape.unknown_rank
                else tuple(int(d.size) for d in shape.dim)
            )
            table[key] = (types_pb2.DataType.Name(info.dtype), dims)
        return table

    return {
        name: {
            "method": signature.method_name,
            "inputs": infos(signature.inputs),
            "outputs": infos(signature.outputs),
        }
        for name, signature in signature_defs.items()
        if not name.startswith("__")
    }


def read_meta_graph(path, tags=("serve",)):
    """Parses `path/saved_model.pb` and returns the MetaGraphDef with `tags`.

    Args:
        path: str or path-like. A SavedModel directory.
        tags: sequence of str. The tag set to pick. Defaults to `serve`.

    Returns:
        A `MetaGraphDef` proto.
    """
    # TensorFlow's protos only here: the REST client needs no TensorFlow.
    from tensorflow.core.protobuf import saved_model_pb2

    with open(os.path.join(path, SAVED_MODEL_FILE), "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    for meta_graph in saved_model.meta_graphs:
        if set(meta_graph.meta_info_def.tags) == set(tags):
            return meta_graph
    found = [list(m.meta_info_def.tags) for m in saved_model.meta_graphs]
    raise ValueError(
        f"No MetaGraph with tags {list(tags)} in {path}. Found: {found}."
    )


def from_saved_model(path, tags=("serve",)):
    """Reads the signature table of the SavedModel in `path`."""
    return from_proto(read_meta_graph(path, tags).signature_def)
