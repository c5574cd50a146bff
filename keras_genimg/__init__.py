"""keras_genimg: a Keras 3 model zoo for image generation.

Public images are float32 in [0, 1], channels last, everywhere: data sets,
``generate``, callbacks and exports.

Importing the package registers its models with Keras, so
``keras.models.load_model("model.keras")`` finds them.
"""

__version__ = "0.1.0"

from keras_genimg import callbacks, data, models  # noqa: E402

__all__ = ["callbacks", "data", "models"]
