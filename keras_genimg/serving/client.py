"""A thin client for a zoo model served by TF Serving, over REST or gRPC."""

import urllib.parse

import numpy as np

from keras_genimg.serving.errors import ServingError
from keras_genimg.serving.rest import RestTransport
from keras_genimg.serving.validation import check_inputs, check_outputs

URL_FORMS = "'http://HOST:8501', 'https://HOST' or 'grpc://HOST:8500'"


class Client:
    """Generates, samples, encodes and reconstructs with a served model.

    Every method checks its inputs against the model's signatures (read
    once from the server's metadata) before sending them, and the answer
    against them when it comes back (names, dtype, shape, one item per
    input item, finite values, images in [0, 1]); it returns numpy
    arrays. The server's refusals, and answers that break the signature,
    raise `ServingError`.

    Args:
        url: str. `http://` or `https://` for TF Serving's REST API (port
            8501 by default), `grpc://host:port` for its gRPC API (8500).
        model_name: str. The name the model is served under.
        version: int or None. A version to pin; the latest by default.
        timeout: float. Seconds a whole request may take, its answer
            included. Defaults to 60.
        request_format: str. REST bodies in `"columnar"` form (`inputs`,
            the default) or `"row"` form (`instances`).

    Example:
    >>> # client = Client("http://localhost:8501", "vae")
    >>> # images = client.sample([0, 1, 2, 3])   # (4, H, W, C) in [0, 1]
    >>> # z_mean, z_log_var = client.encode(images)
    """

    def __init__(
        self,
        url,
        model_name,
        version=None,
        timeout=60.0,
        request_format="columnar",
    ):
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme in ("http", "https"):
            transport = RestTransport(
                url, model_name, version, timeout, request_format
            )
        elif scheme == "grpc":
            # Imported when used, as `local`: the REST client runs where
            # neither TensorFlow nor gRPC is installed.
            from keras_genimg.serving.grpc_transport import GrpcTransport

            target = url[len("grpc://") :].rstrip("/")
            transport = GrpcTransport(target, model_name, version, timeout)
        else:
            raise ValueError(
                f"Unsupported server URL {url!r}. Expected one of: {URL_FORMS}."
            )
        self._setup(transport)

    @classmethod
    def from_transport(cls, transport):
        """Builds a client on a transport of your own.

        Args:
            transport: an object with `signature_table()`,
                `predict(signature_name, inputs, outputs)` and `close()`,
                like `RestTransport` or `GrpcTransport`.

        Returns:
            A `Client`.
        """
        client = cls.__new__(cls)
        client._setup(transport)
        return client

    @classmethod
    def from_saved_model(cls, path):
        """A client that runs the SavedModel in `path` in this process.

        The model is loaded with TensorFlow only, the way TF Serving loads
        it. `path` is a version directory, e.g. `saved_models/vae/3`.
        """
        # Needs TensorFlow, imported only here (see `__init__`).
        from keras_genimg.serving.local import SavedModelTransport

        return cls.from_transport(SavedModelTransport(path))

    def _setup(self, transport):
        self.transport = transport
        self._signatures = None

    # === Metadata ===

    @property
    def signatures(self):
        """The model's signature table, fetched once."""
        if self._signatures is None:
            self._signatures = self.transport.signature_table()
        return self._signatures

    @property
    def latent_shape(self):
        """Shape of one `z` of `serving_default`: `(latent_dim,)`, or a
        diffusion model's image shape."""
        return tuple(self._tensor("serving_default", "inputs", "z")[1][1:])

    @property
    def latent_dim(self):
        """Size of the model's latent vectors."""
        return int(np.prod(self.latent_shape))

    @property
    def image_shape(self):
        """`(height, width, channels)` of the model's images."""
        return self._tensor("serving_default", "outputs", "images")[1][1:]

    # === Requests ===

    def predict(self, signature_name, inputs):
        """Runs any signature with checked inputs.

        Args:
            signature_name: str. e.g. `"serving_default"` or `"sample"`.
            inputs: dict. Input name to array-like.

        Returns:
            A dict of output name to numpy array.
        """
        signature = self._signature(signature_name)
        arrays = check_inputs(signature_name, signature, inputs)
        outputs = self.transport.predict(
            signature_name, arrays, signature["outputs"]
        )
        batch_size = len(next(iter(arrays.values())))
        source = getattr(self.transport, "endpoint", "The server")
        return check_outputs(
            signature_name, signature, outputs, batch_size, source
        )

    def generate(self, z, labels=None):
        """Images in [0, 1] from latent vectors `(batch, latent_dim)` (or,
        for a diffusion model, noise `(batch, *latent_shape)`)."""
        if len(self.latent_shape) > 1 and _shape(z)[1:] == (self.latent_dim,):
            shaped = np.reshape(z, (len(z), *self.latent_shape))
            # A list stays a list: the checks take lists of numbers leniently.
            z = shaped.tolist() if isinstance(z, (list, tuple)) else shaped
        inputs = self._with_labels("serving_default", {"z": z}, labels)
        return self.predict("serving_default", inputs)["images"]

    def sample(self, seeds, labels=None):
        """One image per int32 seed; a seed always gives the same image."""
        inputs = self._with_labels("sample", {"seed": seeds}, labels)
        return self.predict("sample", inputs)["images"]

    def encode(self, images, labels=None):
        """Returns `(z_mean, z_log_var)` for images in [0, 1]."""
        inputs = self._with_labels("encode", {"images": images}, labels)
        outputs = self.predict("encode", inputs)
        return outputs["z_mean"], outputs["z_log_var"]

    def reconstruct(self, images, labels=None):
        """Encodes and decodes images in [0, 1] through the posterior mean."""
        inputs = self._with_labels("reconstruct", {"images": images}, labels)
        return self.predict("reconstruct", inputs)["images"]

    def takes_labels(self, signature_name):
        """Whether a signature takes class labels (a conditional model)."""
        return "label" in self._signature(signature_name)["inputs"]

    def close(self):
        """Releases the connection or session."""
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # === Helpers ===

    def _signature(self, name):
        if name not in self.signatures:
            raise ValueError(
                f"The model has no signature {name!r}. Expected one of: "
                f"{', '.join(sorted(self.signatures))}."
            )
        return self.signatures[name]

    def _tensor(self, signature_name, kind, key):
        """`(dtype, shape)` of a signature's input or output `key` (`kind`
        is "inputs" or "outputs"), which must have a known rank."""
        tensors = self._signature(signature_name)[kind]
        if key not in tensors or tensors[key][1] is None:
            raise ServingError(
                f"The model's {signature_name!r} signature has no "
                f"{kind[:-1]} {key!r} of known rank, which a keras_genimg "
                f"export has; its {kind}: {', '.join(sorted(tensors))}."
            )
        return tensors[key]

    def _with_labels(self, signature_name, inputs, labels):
        takes_labels = self.takes_labels(signature_name)
        if takes_labels and labels is None:
            raise ValueError(
                f"The model is conditional: pass `labels` to "
                f"'{signature_name}', one class index per image."
            )
        if labels is not None:
            if not takes_labels:
                raise ValueError(
                    "The model takes no class labels; leave `labels` out."
                )
            inputs["label"] = labels
        return inputs


def _shape(value):
    """`value`'s array shape, or `()` where it has none (ragged lists)."""
    try:
        return np.shape(value)
    except ValueError:
        return ()
