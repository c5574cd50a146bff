"""keras_genimg: a Keras 3 model zoo for image generation.

Public images are float32 in [0, 1], channels last, everywhere: data sets,
``generate``, callbacks and exports.

Importing the package registers its models with Keras, so
``keras.models.load_model("model.keras")`` finds them. The models train on
the JAX, TensorFlow and PyTorch backends of Keras; `models`, `metrics`,
`latent`, `plots` and `callbacks` need no TensorFlow, while `data`
(`tf.data` pipelines), `export` and `serving` do.
"""

import importlib

__version__ = "0.1.0"

from keras_genimg import callbacks, models  # noqa: E402

__all__ = ["callbacks", "data", "models"]


def __getattr__(name):
    # Imported when first used, so that the package imports where
    # TensorFlow is not installed.
    if name == "data":
        return importlib.import_module("keras_genimg.data")
    raise AttributeError(f"module 'keras_genimg' has no attribute {name!r}")
