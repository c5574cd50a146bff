"""TF Serving warmup requests: `assets.extra/tf_serving_warmup_requests`.

TF Serving replays these `PredictionLog` records when it loads a version,
before the version serves traffic, so the first real request does not pay
for graph set-up. A record that fails makes the whole load fail, so
exports check every record before they are published.
"""

import os

import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"
MAX_RECORDS = 1000  # TF Serving reads at most this many.


def warmup_path(saved_model_dir):
    """Path of the warmup file inside a SavedModel directory."""
    return os.path.join(saved_model_dir, WARMUP_DIR, WARMUP_FILE)


def write_warmup_requests(saved_model_dir, requests):
    """Writes predict requests as the SavedModel's warmup file.

    Args:
        saved_model_dir: str. The SavedModel directory.
        requests: list of `(signature_name, inputs)`, inputs a dict of
            numpy arrays.

    Returns:
        The path of the written file.
    """
    if not 0 < len(requests) <= MAX_RECORDS:
        raise ValueError(
            f"Expected 1 to {MAX_RECORDS} warmup requests. "
            f"Received {len(requests)}."
        )
    path = warmup_path(saved_model_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature_name, inputs in requests:
            request = predict_pb2.PredictRequest()
            request.model_spec.signature_name = signature_name
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(saved_model_dir):
    """Reads the warmup file back as a list of `(signature_name, inputs)`."""
    requests = []
    path = warmup_path(saved_model_dir)
    for record in tf.data.TFRecordDataset(path, buffer_size=1 << 16):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        requests.append((request.model_spec.signature_name, inputs))
    return requests
