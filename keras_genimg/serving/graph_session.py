"""Run a SavedModel the way TF Serving does: a TF1 graph and a session.

TF Serving does not call the Python functions of a SavedModel. It imports
the graph, restores the variables in a session and runs each signature by
feeding and fetching the tensor names written in its `SignatureDef`. This
module does the same, so what works here works in the server.
"""

import os

import tensorflow as tf

from keras_genimg.serving import signature_table
from keras_genimg.utils.logs import errors_only


class GraphSession:
    """A SavedModel loaded in a TF1 session, run signature by signature.

    Args:
        path: str or path-like. A SavedModel directory (one version).
        tags: sequence of str. The MetaGraph to load. Defaults to `serve`.

    Example:
    >>> # with GraphSession("saved_models/vae/1") as session:
    >>> #     session.run("sample", {"seed": np.arange(4, dtype="int32")})
    """

    def __init__(self, path, tags=("serve",)):
        self.path = str(path)
        _check_variables(self.path)
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        # The TF1 loader logs a deprecation notice on every call; serving
        # systems still load SavedModels this way.
        with self.graph.as_default(), errors_only("tensorflow"):
            try:
                self.meta_graph = tf.compat.v1.saved_model.loader.load(
                    self.session, list(tags), self.path
                )
            except (RuntimeError, OSError, tf.errors.OpError) as err:
                self.session.close()
                raise ValueError(
                    f"The SavedModel {self.path!r} cannot be loaded (is it "
                    f"damaged or truncated?): {_first_reason(err)}"
                ) from None
        self.signature_defs = dict(self.meta_graph.signature_def)
        self.signatures = signature_table.from_proto(self.signature_defs)

    def run(self, signature_name, inputs):
        """Feeds `inputs` to a signature and fetches all its outputs.

        Args:
            signature_name: str. A key of `signatures`.
            inputs: dict. Input name to numpy array.

        Returns:
            A dict of output name to numpy array.
        """
        if signature_name not in self.signatures:
            raise ValueError(
                f"Unknown signature {signature_name!r}. Expected one of: "
                f"{', '.join(sorted(self.signatures))}."
            )
        signature = self.signature_defs[signature_name]
        if set(inputs) != set(signature.inputs):
            raise ValueError(
                f"Signature '{signature_name}' takes the inputs "
                f"{sorted(signature.inputs)}. Received: {sorted(inputs)}."
            )
        feeds = {signature.inputs[k].name: v for k, v in inputs.items()}
        fetches = {k: info.name for k, info in signature.outputs.items()}
        return self.session.run(fetches, feeds)

    def close(self):
        """Releases the session."""
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _check_variables(path):
    # Every zoo export has variables; without them TensorFlow's loader
    # reports only "not a valid checkpoint".
    index = os.path.join(path, "variables", "variables.index")
    if os.path.isfile(os.path.join(path, "saved_model.pb")) and not (
        os.path.isfile(index)
    ):
        raise FileNotFoundError(
            f"The SavedModel {path!r} has no variables ({index} is "
            "missing): the export is incomplete. Export the model again."
        )


def _first_reason(err):
    """The first line of a TensorFlow error that says what went wrong
    (its messages start with "Graph execution error:")."""
    message = getattr(err, "message", None) or str(err)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    return lines[0] if lines else type(err).__name__
