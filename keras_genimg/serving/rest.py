"""TF Serving's REST API: request bodies, answers and errors.

Request bodies follow TF Serving's two forms: columnar
(`{"signature_name": ..., "inputs": {"z": [[...], ...]}}`) and row
(`{"signature_name": ..., "instances": [{"z": [...]}, ...]}`). The answer to
a columnar request is `{"outputs": ...}`, to a row request
`{"predictions": ...}`; when a signature has one output its name is left
out. Errors are `{"error": "..."}` with an HTTP error status.
"""

import contextlib
import http.client
import json
import math
import socket
import threading
import urllib.parse

import numpy as np

from keras_genimg.serving import signature_table
from keras_genimg.serving.errors import ServingError
from keras_genimg.serving.validation import NUMPY_DTYPES

REQUEST_FORMATS = ("columnar", "row")
# JSON spells a number in at most 24 characters ("-1.2345678901234567e-05")
# and a separator; the metadata and error answers are small.
BYTES_PER_NUMBER = 32
METADATA_BYTES = 1 << 20


def predict_body(signature_name, inputs, request_format="columnar"):
    """Builds the JSON body of a `:predict` request.

    Args:
        signature_name: str. The signature to run.
        inputs: dict. Input name to numpy array, all with the same batch
            size.
        request_format: str. `"columnar"` (`inputs`) or `"row"`
            (`instances`, one object per batch item).

    Returns:
        The body as a dict, ready for `json.dumps`.

    Example:
    >>> z = np.zeros((2, 3), "float32")
    >>> predict_body("serving_default", {"z": z})
    {'signature_name': 'serving_default', 'inputs': {'z': [[0.0, 0.0, \
0.0], [0.0, 0.0, 0.0]]}}
    >>> predict_body("sample", {"seed": np.array([4, 5])}, "row")
    {'signature_name': 'sample', 'instances': [{'seed': 4}, {'seed': 5}]}
    """
    body = {"signature_name": signature_name}
    if request_format == "columnar":
        body["inputs"] = {key: value.tolist() for key, value in inputs.items()}
    elif request_format == "row":
        batch_size = len(next(iter(inputs.values())))
        body["instances"] = [
            {key: value[i].tolist() for key, value in inputs.items()}
            for i in range(batch_size)
        ]
    else:
        raise ValueError(
            f"Unknown request format {request_format!r}. Expected one of: "
            f"{', '.join(REQUEST_FORMATS)}."
        )
    return body


def parse_predictions(body, outputs):
    """Reads the output arrays from the JSON answer to `:predict`.

    Args:
        body: dict. The decoded answer.
        outputs: dict. Output name to `(dtype, shape)`, from the signature
            table; it names the output when the answer leaves it out.

    Returns:
        A dict of output name to numpy array.

    Raises:
        ServingError: if the answer is an error or does not hold the
            expected outputs.

    Example:
    >>> outputs = {"images": ("DT_FLOAT", (-1, 1))}
    >>> parse_predictions({"predictions": [[0.5], [1.0]]}, outputs)
    {'images': array([[0.5],
           [1. ]], dtype=float32)}
    """
    if "error" in body:
        raise ServingError(str(body["error"]))
    names = sorted(outputs)
    if "outputs" in body:
        values = body["outputs"]
        if len(names) == 1 and not isinstance(values, dict):
            values = {names[0]: values}
    elif "predictions" in body:
        rows = body["predictions"]
        if not isinstance(rows, list):
            raise ServingError(
                "Expected a list of predictions. Received: "
                f"{type(rows).__name__}."
            )
        if len(names) == 1 and not (rows and isinstance(rows[0], dict)):
            values = {names[0]: rows}
        elif all(
            isinstance(row, dict) and set(row) == set(names) for row in rows
        ):
            values = {name: [row[name] for row in rows] for name in names}
        else:
            raise ServingError(
                f"Expected one object with the outputs {names} per prediction."
            )
    else:
        raise ServingError(
            "The answer holds neither 'outputs' nor 'predictions'. "
            f"Keys: {sorted(body)}."
        )
    if not isinstance(values, dict) or set(values) != set(outputs):
        found = sorted(values) if isinstance(values, dict) else values
        raise ServingError(f"Expected the outputs {names}. Received: {found}.")
    arrays = {}
    for name in names:
        try:
            arrays[name] = np.asarray(
                values[name], NUMPY_DTYPES.get(outputs[name][0])
            )
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise ServingError(
                f"Output {name!r} is not an array of numbers (ragged, nested "
                "or of another type)."
            ) from None
    return arrays


class RestTransport:
    """Talks to TF Serving's REST API with the standard library.

    Every request must be answered whole within `timeout` seconds (a
    server that trickles its answer is cut off), and an answer may not be
    larger than the outputs asked for can take (a few bytes of JSON per
    number): what breaks either, or is not TF Serving's JSON, raises
    `ServingError` naming the URL.

    Args:
        url: str. The server, e.g. `"http://localhost:8501"`.
        model_name: str. The served model's name.
        version: int or None. A version to pin; the latest by default.
        timeout: float. Seconds for a whole request, answer included.
        request_format: str. `"columnar"` or `"row"`.
    """

    def __init__(
        self,
        url,
        model_name,
        version=None,
        timeout=60.0,
        request_format="columnar",
    ):
        if request_format not in REQUEST_FORMATS:
            raise ValueError(
                f"Unknown request format {request_format!r}. Expected one "
                f"of: {', '.join(REQUEST_FORMATS)}."
            )
        self.url = url.rstrip("/")
        self.model_name = model_name
        self.version = version
        self.timeout = timeout
        self.request_format = request_format
        self.model_url = (
            f"{self.url}/v1/models/{urllib.parse.quote(model_name, safe='')}"
        )
        if version is not None:
            self.model_url += f"/versions/{int(version)}"
        self.endpoint = self.model_url

    def signature_table(self):
        """Fetches `/metadata` and returns the model's signature table."""
        url = f"{self.model_url}/metadata"
        body = self._request(url)
        try:
            table = signature_table.from_json(body["metadata"]["signature_def"])
            signature_table.check(table)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ServingError(
                f"{url} did not return TF Serving's signature metadata "
                f"({type(err).__name__}: {err})."
            ) from None
        return table

    def status(self):
        """Returns the model's status answer (its versions and states)."""
        return self._request(self.model_url)

    def predict(self, signature_name, inputs, outputs):
        """Runs a signature; returns its outputs as numpy arrays."""
        body = predict_body(signature_name, inputs, self.request_format)
        batch_size = len(next(iter(inputs.values())))
        url = f"{self.model_url}:predict"
        answer = self._request(url, body, answer_bytes(outputs, batch_size))
        try:
            return parse_predictions(answer, outputs)
        except ServingError as err:
            raise ServingError(f"{url}: {err}") from None

    def close(self):
        """Nothing to release: every request opens its own connection."""

    def _request(self, url, body=None, max_bytes=METADATA_BYTES):
        data = None if body is None else json.dumps(body).encode("utf-8")
        status, text = _http(url, data, self.timeout, max_bytes)
        if status >= 400:
            raise ServingError(
                f"{url} answered HTTP {status}: {_error_text(text, status)}",
                code=status,
            )
        try:
            answer = json.loads(text)
        except (ValueError, RecursionError):
            raise ServingError(f"{url} did not answer with JSON.") from None
        if not isinstance(answer, dict):
            raise ServingError(
                f"{url} answered a JSON {type(answer).__name__}, not an object."
            )
        if "error" in answer:
            raise ServingError(f"{url} answered: {answer['error']}")
        return answer


def answer_bytes(outputs, batch_size):
    """The most bytes a JSON answer with `outputs` for `batch_size` items
    takes: `BYTES_PER_NUMBER` per number, plus room for names and
    brackets."""
    numbers = 0
    for _, shape in outputs.values():
        numbers += batch_size * math.prod(max(d, 1) for d in (shape or ())[1:])
    return BYTES_PER_NUMBER * numbers + 256 * batch_size + METADATA_BYTES


def _http(url, data, timeout, max_bytes):
    """`(status, body)` of a GET (or a POST of `data`) to `url`, within
    `timeout` seconds for the whole exchange and `max_bytes` of answer."""
    parts = urllib.parse.urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection
        if parts.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=timeout)
    path = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
    # A socket timeout bounds each read only; this bounds them all.
    expired = threading.Event()

    def cut_off():
        expired.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut_off)
    watchdog.daemon = True
    watchdog.start()
    sent = False
    try:
        connection.request(
            "GET" if data is None else "POST",
            path,
            body=data,
            headers={"Content-Type": "application/json"},
        )
        sent = True
        response = connection.getresponse()
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise ServingError(_too_large(url, max_bytes))
        text = response.read(max_bytes + 1)
        if expired.is_set():  # cut off, perhaps between two header lines
            raise TimeoutError
        if len(text) > max_bytes:
            raise ServingError(_too_large(url, max_bytes))
        if length is not None and length.isdigit() and len(text) < int(length):
            raise http.client.IncompleteRead(text, int(length) - len(text))
        return response.status, text
    except (OSError, http.client.HTTPException, ValueError) as err:
        if expired.is_set():
            raise ServingError(
                f"{url} gave no whole answer within {timeout:g} s."
            ) from None
        reason = " ".join(repr(err).split())
        if sent:
            raise ServingError(
                f"{url} sent a broken answer: {reason}"
            ) from None
        raise ServingError(f"Could not reach {url}: {reason}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _too_large(url, max_bytes):
    return (
        f"{url} answered more than {max_bytes:,} bytes, more than the "
        "outputs asked for can take."
    )


def _error_text(text, status):
    text = text.decode("utf-8", "replace")
    try:
        return str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return " ".join(text.split())[:500] or http.client.responses.get(
            status, "error"
        )
