"""Run an exported SavedModel in this process, as the server would."""

import tensorflow as tf

from keras_genimg.serving.errors import ServingError
from keras_genimg.serving.graph_session import GraphSession


class SavedModelTransport:
    """Answers requests from a SavedModel version directory.

    The model is loaded with TensorFlow only, in a TF1 graph and session
    like TF Serving loads it, so it needs neither Keras nor keras_genimg.

    Args:
        path: str or path-like. A SavedModel version directory, e.g.
            `saved_models/vae/3`.
    """

    def __init__(self, path):
        self.session = GraphSession(path)
        self.endpoint = str(path)

    def signature_table(self):
        """Returns the SavedModel's signature table."""
        return self.session.signatures

    def predict(self, signature_name, inputs, outputs):
        """Runs a signature; returns its outputs as numpy arrays."""
        try:
            return self.session.run(signature_name, inputs)
        except tf.errors.OpError as err:
            raise ServingError(
                f"{self.session.path} failed '{signature_name}': {err.message}",
                code=type(err).__name__,
            ) from None

    def close(self):
        """Releases the session."""
        self.session.close()
