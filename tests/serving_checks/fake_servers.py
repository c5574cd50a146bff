"""Stand-ins for TF Serving on 127.0.0.1, answering from real SavedModels.

`FakeRestServer` follows the REST API's rules (URLs, row and columnar
bodies and answers, `{"error": ...}` with an HTTP status) and
`FakePredictionService` the gRPC `PredictionService`. Both run the
exported signatures loaded with `tf.saved_model.load`.
"""

import json
import re
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from keras_genimg.serving.signature_table import read_meta_graph

URL = re.compile(
    r"/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
    r"(?::(?P<verb>predict)|/(?P<metadata>metadata))?$"
)


class ServedModel:
    """One version of a model: its loaded signatures and SignatureDefs."""

    def __init__(self, path):
        self.loaded = tf.saved_model.load(path)
        self.signature_defs = read_meta_graph(path).signature_def

    def run(self, signature_name, inputs):
        """Runs a signature on numpy inputs; returns numpy outputs."""
        if signature_name not in self.signature_defs:
            raise KeyError(
                f'Serving signature name: "{signature_name}" not found in '
                "signature def"
            )
        function = self.loaded.signatures[signature_name]
        outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
        return {key: value.numpy() for key, value in outputs.items()}


class Registry:
    """Served models by name and version; the latest version by default."""

    def __init__(self, paths):
        self.models = {
            name: {version: ServedModel(path) for version, path in v.items()}
            for name, v in paths.items()
        }

    def get(self, name, version=None):
        versions = self.models.get(name, {})
        if version is None and versions:
            version = max(versions)
        if version not in versions:
            spec = f"Latest({name})" if version is None else f"{name}:{version}"
            raise LookupError(f"Servable not found for request: {spec}")
        return version, versions[version]


# === REST ===


def _tensor(value, info):
    array = np.asarray(value)
    if info.dtype == tf.int32.as_datatype_enum:
        if array.dtype.kind != "i":
            raise ValueError(f"JSON Value: {value} is not of type int32")
        return array.astype("int32")
    if array.dtype.kind not in "if":
        raise ValueError(f"JSON Value: {value} is not of type float")
    return array.astype("float32")


def parse_request(body, signature_def):
    """Reads the inputs of a predict body as TF Serving does."""
    infos = signature_def.inputs
    if "instances" in body and "inputs" in body:
        raise ValueError("expecting only one of 'inputs' or 'instances'")
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list) or not rows:
            raise ValueError("No values in 'instances' array")
        if isinstance(rows[0], dict):
            for index, row in enumerate(rows):
                if not isinstance(row, dict) or set(row) != set(infos):
                    raise ValueError(
                        f"Failed to process element: {index} of 'instances' "
                        f"list. keys must be equal to: {','.join(infos)}"
                    )
            return "row", {
                k: _tensor([row[k] for row in rows], infos[k]) for k in infos
            }
        if len(infos) > 1:
            raise ValueError("instances is a plain list, but expecting objects")
        (key,) = infos
        return "row", {key: _tensor(rows, infos[key])}
    if "inputs" in body:
        values = body["inputs"]
        if not isinstance(values, dict):
            if len(infos) > 1:
                raise ValueError("inputs is a plain list, expecting an object")
            values = {next(iter(infos)): values}
        for key in infos:
            if key not in values:
                raise ValueError(f"Missing named input: {key} in 'inputs'")
        return "columnar", {k: _tensor(values[k], infos[k]) for k in infos}
    raise ValueError("Missing 'inputs' or 'instances' key")


def make_answer(request_format, outputs):
    """Formats outputs as TF Serving answers a row or columnar request."""
    names = sorted(outputs)
    if request_format == "columnar":
        if len(names) == 1:
            return {"outputs": outputs[names[0]].tolist()}
        return {"outputs": {k: v.tolist() for k, v in outputs.items()}}
    if len(names) == 1:
        return {"predictions": outputs[names[0]].tolist()}
    batch_size = len(outputs[names[0]])
    return {
        "predictions": [
            {k: outputs[k][i].tolist() for k in names}
            for i in range(batch_size)
        ]
    }


class FakeRestServer:
    """TF Serving's REST API for `paths` (name -> {version: path}).

    Every request is recorded in `requests` as `(method, path, body)`.
    """

    def __init__(self, paths):
        self.registry = Registry(paths)
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server._handle(self, None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server._handle(self, self.rfile.read(length))

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler, raw_body):
        body = None
        if raw_body is not None:
            try:
                body = json.loads(raw_body)
            except ValueError as err:
                return _send(
                    handler, 400, {"error": f"JSON Parse error: {err}"}
                )
        self.requests.append((handler.command, handler.path, body))
        match = URL.match(handler.path)
        if not match or (body is None) == bool(match["verb"]):
            return _send(handler, 404, {"error": "Malformed request"})
        version = int(match["version"]) if match["version"] else None
        try:
            version, model = self.registry.get(match["name"], version)
        except LookupError as err:
            return _send(handler, 404, {"error": str(err)})
        if match["metadata"]:
            return _send(handler, 200, _metadata(match["name"], version, model))
        if body is None:
            return _send(handler, 200, _status(version))
        signature_name = body.get("signature_name") or "serving_default"
        try:
            signature_def = model.signature_defs[signature_name]
            request_format, inputs = parse_request(body, signature_def)
            outputs = model.run(signature_name, inputs)
        except KeyError as err:
            return _send(handler, 400, {"error": err.args[0]})
        except ValueError as err:
            return _send(handler, 400, {"error": str(err)})
        except tf.errors.OpError as err:
            return _send(handler, 400, {"error": err.message})
        return _send(handler, 200, make_answer(request_format, outputs))


def _metadata(name, version, model):
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, signature_def in model.signature_defs.items():
        signature_map.signature_def[key].CopyFrom(signature_def)
    return {
        "model_spec": {
            "name": name,
            "signature_name": "",
            "version": str(version),
        },
        "metadata": {
            "signature_def": json_format.MessageToDict(
                signature_map, preserving_proto_field_name=True
            )
        },
    }


def _status(version):
    return {
        "model_version_status": [
            {
                "version": str(version),
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def _send(handler, status, answer):
    data = json.dumps(answer).encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


# === gRPC ===


class FakePredictionService(
    prediction_service_pb2_grpc.PredictionServiceServicer
):
    """TF Serving's gRPC `PredictionService` for `paths`."""

    def __init__(self, paths):
        self.registry = Registry(paths)

    def _model(self, model_spec, context):
        import grpc

        version = (
            model_spec.version.value if model_spec.HasField("version") else None
        )
        try:
            return self.registry.get(model_spec.name, version)
        except LookupError as err:
            context.abort(grpc.StatusCode.NOT_FOUND, str(err))

    def GetModelMetadata(self, request, context):
        import grpc

        version, model = self._model(request.model_spec, context)
        if list(request.metadata_field) != ["signature_def"]:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "Metadata field signature_def is the only one supported",
            )
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = version
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature_def in model.signature_defs.items():
            signature_map.signature_def[key].CopyFrom(signature_def)
        response.metadata["signature_def"].Pack(signature_map)
        return response

    def Predict(self, request, context):
        import grpc

        version, model = self._model(request.model_spec, context)
        signature_name = request.model_spec.signature_name or "serving_default"
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        try:
            outputs = model.run(signature_name, inputs)
        except KeyError as err:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, err.args[0])
        except (tf.errors.OpError, TypeError, ValueError) as err:
            message = getattr(err, "message", str(err))
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
        response = predict_pb2.PredictResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = version
        response.model_spec.signature_name = signature_name
        for key, value in outputs.items():
            # TF Serving answers with the repeated value fields (float_val).
            proto = response.outputs[key]
            proto.dtype = tf.as_dtype(value.dtype).as_datatype_enum
            proto.tensor_shape.CopyFrom(tf.TensorShape(value.shape).as_proto())
            proto.float_val.extend(value.ravel().tolist())
        return response


class FakeGrpcServer:
    """A gRPC server on 127.0.0.1 serving `FakePredictionService`."""

    def __init__(self, paths):
        import grpc

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            FakePredictionService(paths), self.server
        )
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.url = f"grpc://127.0.0.1:{port}"

    def close(self):
        self.server.stop(grace=None)
