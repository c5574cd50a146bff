"""TF Serving's gRPC API, through the `tensorflow-serving-api` stubs."""

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from keras_genimg.serving import signature_table
from keras_genimg.serving.errors import ServingError

SIGNATURE_DEF_FIELD = "signature_def"


class GrpcTransport:
    """Talks to TF Serving's `PredictionService` over gRPC.

    Args:
        target: str. `host:port` of the server's gRPC port, e.g.
            `"localhost:8500"`.
        model_name: str. The served model's name.
        version: int or None. A version to pin; the latest by default.
        timeout: float. Seconds to wait for an answer.
        stub: a `PredictionServiceStub` to use instead of opening an
            insecure channel to `target`.
    """

    def __init__(
        self, target, model_name, version=None, timeout=60.0, stub=None
    ):
        self.target = target
        self.endpoint = f"grpc://{target} ({model_name})"
        self.model_name = model_name
        self.version = version
        self.timeout = timeout
        self._channel = None
        if stub is None:
            self._channel = grpc.insecure_channel(target)
            stub = prediction_service_pb2_grpc.PredictionServiceStub(
                self._channel
            )
        self._stub = stub

    def signature_table(self):
        """Calls `GetModelMetadata`; returns the model's signature table."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            metadata_field=[SIGNATURE_DEF_FIELD]
        )
        self._fill_model_spec(request.model_spec)
        response = self._call("GetModelMetadata", request)
        signature_defs = get_model_metadata_pb2.SignatureDefMap()
        if not response.metadata[SIGNATURE_DEF_FIELD].Unpack(signature_defs):
            raise ServingError(
                f"{self.target} returned metadata without a SignatureDefMap."
            )
        return signature_table.from_proto(signature_defs.signature_def)

    def predict(self, signature_name, inputs, outputs):
        """Calls `Predict`; returns the outputs as numpy arrays."""
        request = predict_pb2.PredictRequest()
        self._fill_model_spec(request.model_spec)
        request.model_spec.signature_name = signature_name
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        response = self._call("Predict", request)
        missing = sorted(set(outputs) - set(response.outputs))
        if missing:
            raise ServingError(
                f"{self.target} answered without the outputs {missing}."
            )
        try:
            return {
                key: tf.make_ndarray(response.outputs[key]) for key in outputs
            }
        except (TypeError, ValueError) as err:
            raise ServingError(
                f"{self.endpoint} answered a tensor that cannot be read: {err}"
            ) from None

    def close(self):
        """Closes the channel opened by this transport, if any."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _fill_model_spec(self, model_spec):
        model_spec.name = self.model_name
        if self.version is not None:
            model_spec.version.value = int(self.version)

    def _call(self, method, request):
        try:
            return getattr(self._stub, method)(request, timeout=self.timeout)
        except grpc.RpcError as err:
            code = err.code() if hasattr(err, "code") else None
            name = code.name if code is not None else "UNKNOWN"
            details = err.details() if hasattr(err, "details") else str(err)
            raise ServingError(
                f"{self.target} answered {method} with {name}: {details}",
                code=name,
            ) from None
