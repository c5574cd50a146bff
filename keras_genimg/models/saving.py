"""Opening saved zoo models with a message that says what went wrong."""

import os
import zipfile

import keras

from keras_genimg.models import registry
from keras_genimg.models.generative_model import GenerativeModel

MODEL_FILE = "model.keras"


def load_model(path, compile=True):
    """Loads a zoo model from a `.keras` file or a `genimg train` folder.

    `keras.models.load_model` opens the zoo's files too, once
    `keras_genimg` is imported; this function also checks what it opens
    and says in one line what is wrong with a file that is not a model.

    Args:
        path: str or path-like. A `.keras` file, or a run folder holding
            `model.keras`.
        compile: bool. Whether to restore the optimizers (and their
            state), ready to go on training. Defaults to True.

    Returns:
        The model.

    Raises:
        FileNotFoundError: when there is no such model file.
        ValueError: when the file is not a `.keras` archive (empty or
            truncated), cannot be loaded (damaged weights, a config of
            unknown classes, an archive of another tool) or holds a model
            that is not one of the zoo's.

    Example:
    >>> import keras_genimg
    >>> from keras_genimg.models import VAE
    >>> VAE((16, 16, 1), latent_dim=2, filters=8).save("/tmp/vae.keras")
    >>> type(keras_genimg.load_model("/tmp/vae.keras")).__name__
    'VAE'
    """
    path = os.fspath(path)
    if os.path.isfile(os.path.join(path, MODEL_FILE)):
        path = os.path.join(path, MODEL_FILE)
    if not (path.endswith(".keras") and os.path.isfile(path)):
        raise FileNotFoundError(
            f"No model at {path!r}: expected a .keras file or a run folder "
            f"holding {MODEL_FILE}."
        )
    model = open_keras_file(path, compile=compile)
    if not isinstance(model, GenerativeModel):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a keras_genimg "
            f"model ({', '.join(registry.names())})."
        )
    return model


def open_keras_file(path, compile=True):
    """`keras.models.load_model(path)`, failing in one line naming `path`.

    Args:
        path: str. A `.keras` file.
        compile: bool. Whether to restore the optimizers.

    Returns:
        The model, whatever class it is.

    Raises:
        ValueError: when the file is not a `.keras` archive or cannot be
            loaded (damaged weights, a config of unknown classes, an
            archive of another tool).

    Example:
    >>> import keras
    >>> keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(
    ...     "/tmp/dense.keras")
    >>> type(open_keras_file("/tmp/dense.keras")).__name__
    'Sequential'
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path!r} is not a .keras archive: the file is empty or "
            "truncated (was its save interrupted?)."
        )
    try:
        return keras.models.load_model(path, compile=compile)
    except Exception as err:  # a damaged file can break any loading step
        reason = " ".join(str(err).split()) or type(err).__name__
        raise ValueError(
            f"{path!r} cannot be opened as a Keras model (a .keras file of "
            f"another tool, or damaged?): {reason}"
        ) from err
