"""TF Serving's REST API: request bodies, answers and errors.

Request bodies follow TF Serving's two forms: columnar
(`{"signature_name": ..., "inputs": {"z": [[...], ...]}}`) and row
(`{"signature_name": ..., "instances": [{"z": [...]}, ...]}`). The answer to
a columnar request is `{"outputs": ...}`, to a row request
`{"predictions": ...}`; when a signature has one output its name is left
out. Errors are `{"error": "..."}` with an HTTP error status.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

import numpy as np

from keras_genimg.serving import signature_table
from keras_genimg.serving.errors import ServingError
from keras_genimg.serving.validation import NUMPY_DTYPES

REQUEST_FORMATS = ("columnar", "row")


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
    return {
        name: np.asarray(values[name], NUMPY_DTYPES.get(outputs[name][0]))
        for name in names
    }


class RestTransport:
    """Talks to TF Serving's REST API with the standard library.

    Args:
        url: str. The server, e.g. `"http://localhost:8501"`.
        model_name: str. The served model's name.
        version: int or None. A version to pin; the latest by default.
        timeout: float. Seconds to wait for an answer.
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

    def signature_table(self):
        """Fetches `/metadata` and returns the model's signature table."""
        body = self._request(f"{self.model_url}/metadata")
        try:
            signature_defs = body["metadata"]["signature_def"]
        except (KeyError, TypeError):
            raise ServingError(
                f"{self.model_url}/metadata did not return signature metadata."
            ) from None
        return signature_table.from_json(signature_defs)

    def status(self):
        """Returns the model's status answer (its versions and states)."""
        return self._request(self.model_url)

    def predict(self, signature_name, inputs, outputs):
        """Runs a signature; returns its outputs as numpy arrays."""
        body = predict_body(signature_name, inputs, self.request_format)
        answer = self._request(f"{self.model_url}:predict", body)
        return parse_predictions(answer, outputs)

    def close(self):
        """Nothing to release: every request opens its own connection."""

    def _request(self, url, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            url, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                text = r.read()
        except urllib.error.HTTPError as err:
            raise ServingError(
                f"{url} answered HTTP {err.code}: {_error_text(err)}",
                code=err.code,
            ) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ServingError(f"Could not reach {url}: {reason}") from None
        try:
            answer = json.loads(text)
        except ValueError:
            raise ServingError(f"{url} did not answer with JSON.") from None
        if isinstance(answer, dict) and "error" in answer:
            raise ServingError(f"{url} answered: {answer['error']}")
        return answer


def _error_text(err):
    text = err.read().decode("utf-8", "replace")
    try:
        return str(json.loads(text)["error"])
    except (ValueError, KeyError, TypeError):
        return text.strip() or err.reason
