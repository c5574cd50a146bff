"""Load exports the way TF Serving does and report what they do.

Run as `python check_saved_model.py OUT_DIR NAME=PATH [NAME=PATH ...]` in a
fresh process. Keras and keras_genimg are hidden from this process (an
import of either fails), so the exports must run on TensorFlow alone.

For every export it parses `saved_model.pb`, loads the `serve` MetaGraph in
a TF1 session (`tf.compat.v1.saved_model.loader.load`), runs every
signature by its tensor names at batch sizes 1 and 3, replays the warmup
records and feeds a few bad requests. It writes `OUT_DIR/NAME.npz` (every
input and output, keyed `SIGNATURE/BATCH/in|out/KEY` and
`warmup/INDEX/in|out/KEY`) and `OUT_DIR/report.json`.
"""

import importlib.abc
import importlib.machinery
import json
import os
import sys

HIDDEN = ("keras", "keras_genimg")
BATCH_SIZES = (1, 3)


class _Refuse(importlib.abc.Loader):
    def create_module(self, spec):
        raise ImportError(f"{spec.name} is hidden from this process")

    def exec_module(self, module):
        raise ImportError(f"{module.__name__} is hidden from this process")


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            return importlib.machinery.ModuleSpec(name, _Refuse())
        return None


sys.meta_path.insert(0, _Hide())

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import types_pb2  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402
from tensorflow_serving.apis import prediction_log_pb2  # noqa: E402

NUMPY = {"DT_FLOAT": np.float32, "DT_INT32": np.int32}


def parse_table(path):
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    (meta_graph,) = saved_model.meta_graphs
    table = {}
    for name, signature in meta_graph.signature_def.items():
        if name.startswith("__"):
            continue
        table[name] = {
            "method": signature.method_name,
            "inputs": _infos(signature.inputs),
            "outputs": _infos(signature.outputs),
        }
    return list(meta_graph.meta_info_def.tags), table


def _infos(infos):
    return {
        key: [
            types_pb2.DataType.Name(info.dtype),
            [int(d.size) for d in info.tensor_shape.dim],
        ]
        for key, info in infos.items()
    }


def make_inputs(signature, batch_size, rng):
    inputs = {}
    for key, info in signature.inputs.items():
        shape = [batch_size] + [int(d.size) for d in info.tensor_shape.dim][1:]
        dtype = types_pb2.DataType.Name(info.dtype)
        if dtype == "DT_INT32":
            inputs[key] = rng.integers(-1000, 1000, shape).astype("int32")
        elif key == "mask":
            inputs[key] = rng.integers(0, 2, shape).astype("float32")
        elif key == "z":
            inputs[key] = rng.standard_normal(shape).astype("float32")
        else:
            inputs[key] = rng.random(shape).astype("float32")
    return inputs


def run(session, signature, inputs):
    feeds = {signature.inputs[k].name: v for k, v in inputs.items()}
    fetches = {k: info.name for k, info in signature.outputs.items()}
    return session.run(fetches, feeds)


def read_warmup(path):
    records = os.path.join(path, "assets.extra", "tf_serving_warmup_requests")
    requests = []
    for record in tf.compat.v1.io.tf_record_iterator(records):
        log = prediction_log_pb2.PredictionLog.FromString(record)
        requests.append(log.predict_log.request)
    return requests


def bad_requests(path, signature_defs):
    """Feeds requests that break the contract; returns the error texts.

    The Python session checks fed shapes against the placeholders before
    running; TF Serving's C++ session does not. So the inputs are mapped
    to placeholders of unknown shape, and what stops a bad request is the
    graph's own check, as in the server.
    """
    z = signature_defs["serving_default"].inputs["z"]
    z_shape = [int(d.size) for d in z.tensor_shape.dim[1:]]
    wider = (2, *z_shape[:-1], z_shape[-1] + 1)
    cases = {
        "z_width": ("serving_default", np.zeros(wider, "float32")),
        "z_rank": ("serving_default", np.zeros(z_shape, "float32")),
    }
    if "encode" in signature_defs:
        images = np.zeros((2, 8, 8, 1), "float32")
        cases["image_size"] = ("encode", images)
    errors = {}
    with tf.Graph().as_default() as graph:
        unshaped = {}
        for sig_name, _ in cases.values():
            (info,) = signature_defs[sig_name].inputs.values()
            unshaped[info.name] = tf.compat.v1.placeholder(
                info.dtype, shape=None
            )
        with tf.compat.v1.Session(graph=graph) as session:
            tf.compat.v1.saved_model.loader.load(
                session, ["serve"], path, input_map=unshaped
            )
            for case, (sig_name, value) in cases.items():
                signature = signature_defs[sig_name]
                (info,) = signature.inputs.values()
                fetches = [o.name for o in signature.outputs.values()]
                try:
                    session.run(fetches, {unshaped[info.name]: value})
                    errors[case] = None
                except tf.errors.OpError as err:
                    errors[case] = f"{type(err).__name__}: {err.message}"
    return errors


def check(name, path, out_dir):
    tags, table = parse_table(path)
    arrays = {}
    rng = np.random.default_rng(0)
    report = {"tags": tags, "table": table}
    with tf.Graph().as_default() as graph:
        with tf.compat.v1.Session(graph=graph) as session:
            meta_graph = tf.compat.v1.saved_model.loader.load(
                session, ["serve"], path
            )
            signature_defs = meta_graph.signature_def
            for sig_name in table:
                signature = signature_defs[sig_name]
                for batch_size in BATCH_SIZES:
                    inputs = make_inputs(signature, batch_size, rng)
                    outputs = run(session, signature, inputs)
                    prefix = f"{sig_name}/{batch_size}"
                    for key, value in inputs.items():
                        arrays[f"{prefix}/in/{key}"] = value
                    for key, value in outputs.items():
                        arrays[f"{prefix}/out/{key}"] = value
            warmup = []
            for index, request in enumerate(read_warmup(path)):
                sig_name = request.model_spec.signature_name
                inputs = {
                    k: tf.make_ndarray(v) for k, v in request.inputs.items()
                }
                outputs = run(session, signature_defs[sig_name], inputs)
                warmup.append(sig_name)
                for key, value in inputs.items():
                    arrays[f"warmup/{index}/in/{key}"] = value
                for key, value in outputs.items():
                    arrays[f"warmup/{index}/out/{key}"] = value
            report["warmup"] = warmup
    report["errors"] = bad_requests(path, signature_defs)
    np.savez(os.path.join(out_dir, f"{name}.npz"), **arrays)
    return report


def main(argv):
    out_dir, *models = argv
    report = {"models": {}}
    for item in models:
        name, path = item.split("=", 1)
        report["models"][name] = check(name, path, out_dir)
    report["modules"] = sorted(
        m for m in sys.modules if m.partition(".")[0] in HIDDEN
    )
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1:])
