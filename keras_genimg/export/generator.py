"""Images from any form of a model: a run folder, a `.keras` file, a
SavedModel, or a server."""

import os

import numpy as np

from keras_genimg.export.latents import generate_from_seeds
from keras_genimg.export.versions import version_dirs
from keras_genimg.models import load_model
from keras_genimg.serving import Client, ServingError
from keras_genimg.serving.signature_table import SAVED_MODEL_FILE


def is_saved_model(path):
    """Whether `path` is a SavedModel (version) folder."""
    return os.path.isfile(os.path.join(path, SAVED_MODEL_FILE))


def not_a_model(path):
    """The message for a path that holds no model, with a hint."""
    found = sorted(version_dirs(path)) if os.path.isdir(path) else []
    if found:
        return (
            f"{path!r} is a model's base folder; pass one of its versions, "
            f"e.g. {os.path.join(path, str(found[-1]))!r}."
        )
    return (
        f"{path!r} is neither a run folder, a .keras file nor a SavedModel "
        "folder."
    )


# How a server refuses a request's values (a label out of range): REST's
# HTTP status, gRPC's status and TensorFlow's error in a local session.
REFUSED = (400, "INVALID_ARGUMENT", "InvalidArgumentError")


class Generator:
    """Images from int seeds, from a Keras model or a SavedModel.

    Attributes:
        image_shape: tuple `(H, W, C)`.
        num_classes: int, or None for an unconditional model.
        close: callable. Releases what the generator holds.
    """

    def __init__(self, sample, image_shape, num_classes=None, close=None):
        self._sample = sample
        self.image_shape = tuple(int(s) for s in image_shape)
        self.num_classes = num_classes
        self.close = close or (lambda: None)

    def sample(self, seeds, labels=None):
        """Images of `seeds`; a conditional model without `labels` draws
        its classes in turn (image `i` of class `i % num_classes`), as
        `GenerativeModel.generate` does."""
        if labels is None and self.num_classes is not None:
            labels = np.arange(len(seeds), dtype="int32") % self.num_classes
        return self._sample(seeds, labels)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_generator(path):
    """Opens a run folder, a `.keras` file or a SavedModel version folder.

    A seed (and label) gives the same image from all three (see
    `keras_genimg.export.generate_from_seeds`); a SavedModel runs with
    TensorFlow only, as TF Serving runs it.

    Args:
        path: str. The model.

    Returns:
        A `Generator`; use it in a `with` block or call `close()`.

    Raises:
        FileNotFoundError: when `path` holds no model.

    Example:
    >>> with open_generator("runs/cgan") as generator:  # doctest: +SKIP
    ...     images = generator.sample([0, 1], labels=[3, 7])
    """
    if is_saved_model(path):
        client = Client.from_saved_model(path)
        return client_generator(client)
    try:
        model = load_model(path, compile=False)
    except FileNotFoundError:
        raise FileNotFoundError(not_a_model(path)) from None
    return Generator(
        lambda seeds, labels=None: generate_from_seeds(model, seeds, labels),
        model.image_shape,
        num_classes=getattr(model, "num_classes", None),
    )


def client_generator(client):
    """A `Generator` over a serving `Client`; closing it closes the client."""
    num_classes = None
    if client.takes_labels("sample"):
        num_classes = served_num_classes(client)
    return Generator(
        client.sample, client.image_shape, num_classes, client.close
    )


def served_num_classes(client, limit=2**20):
    """The number of classes of a served conditional model.

    The signatures do not list it, but they refuse any label at or above
    it, so the smallest refused label is found by bisection.

    Args:
        client: a `keras_genimg.serving.Client` of a conditional model.
        limit: int. The largest number of classes looked for.

    Returns:
        int. The number of classes.
    """

    def accepts(label):
        try:
            client.sample([0], labels=[label])
        except ServingError as err:
            if err.code in REFUSED:
                return False
            raise  # the server failed, whatever the label
        return True

    low, high = 1, limit  # accepts(low - 1); the answer is in [low, high].
    while low < high:
        middle = (low + high) // 2
        if accepts(middle):
            low = middle + 1
        else:
            high = middle
    return low
