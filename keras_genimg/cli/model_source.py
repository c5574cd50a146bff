"""Open what a user points a command at: a run, a `.keras` file or an export."""

import os

MODEL_FILE = "model.keras"
SAVED_MODEL_FILE = "saved_model.pb"


def load_keras_model(path):
    """Loads a zoo model from a `.keras` file or a `genimg train` folder.

    Args:
        path: str. A `.keras` file, or a run folder holding `model.keras`.

    Returns:
        The model, not compiled.

    Raises:
        FileNotFoundError: when there is no such model file.
    """
    import keras

    import keras_genimg.models  # noqa: F401  (registers the zoo's classes)

    if os.path.isfile(os.path.join(path, MODEL_FILE)):
        path = os.path.join(path, MODEL_FILE)
    if not (path.endswith(".keras") and os.path.isfile(path)):
        raise FileNotFoundError(
            f"No model at {path!r}: expected a .keras file or a run folder "
            f"holding {MODEL_FILE}."
        )
    return keras.models.load_model(path, compile=False)


def is_saved_model(path):
    """Whether `path` is a SavedModel (version) folder."""
    return os.path.isfile(os.path.join(path, SAVED_MODEL_FILE))


def not_a_model(path):
    """The message for a path that holds no model, with a hint."""
    from keras_genimg.export.versions import version_dirs

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


class Generator:
    """Images from int seeds, from a Keras model or a SavedModel.

    Attributes:
        sample: callable. int seeds `(N,)` -> float32 images in [0, 1].
        image_shape: tuple `(H, W, C)`.
        close: callable. Releases what the generator holds.
    """

    def __init__(self, sample, image_shape, close=None):
        self.sample = sample
        self.image_shape = tuple(int(s) for s in image_shape)
        self.close = close or (lambda: None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_generator(path):
    """Opens a run folder, a `.keras` file or a SavedModel version folder.

    A seed gives the same image from all three (see
    `keras_genimg.export.generate_from_seeds`); a SavedModel runs with
    TensorFlow only, as TF Serving runs it.

    Args:
        path: str. The model.

    Returns:
        A `Generator`; use it in a `with` block or call `close()`.

    Raises:
        FileNotFoundError: when `path` holds no model.
    """
    from keras_genimg.export import generate_from_seeds
    from keras_genimg.serving import Client

    if is_saved_model(path):
        client = Client.from_saved_model(path)
        return Generator(client.sample, client.image_shape, client.close)
    try:
        model = load_keras_model(path)
    except FileNotFoundError:
        raise FileNotFoundError(not_a_model(path)) from None
    return Generator(
        lambda seeds: generate_from_seeds(model, seeds), model.image_shape
    )
