"""keras_genimg: a Keras 3 model zoo for image generation.

Public images are float32 in [0, 1], channels last, everywhere: data sets,
``generate``, callbacks and exports.

Importing the package registers its models with Keras, so
``keras.models.load_model("model.keras")`` finds them;
``keras_genimg.load_model`` does the same and says what is wrong with a
file that is not a zoo model. The models train on
the JAX, TensorFlow and PyTorch backends of Keras; `models`, `metrics`,
`latent`, `plots` and `callbacks` need no TensorFlow, while `data`
(`tf.data` pipelines), `export` and `serving` do.
"""

import importlib
import os
import sys

__version__ = "0.1.0"

__all__ = ["callbacks", "data", "load_model", "models"]


def _run_as_genimg_command():
    program = os.path.basename(getattr(sys, "argv", None) and sys.argv[0] or "")
    # "-m" while `python -m keras_genimg.cli.main` imports the package.
    return os.path.splitext(program)[0] in ("genimg", "genimg-script", "-m")


# Importing the models registers them with Keras, which starts Keras'
# backend (TensorFlow takes seconds). The `genimg` command imports them
# only in the commands that need them, so that `genimg --help` answers at
# once and the command can quiet the backend's start-up messages first.
if not _run_as_genimg_command():
    from keras_genimg import callbacks, models
    from keras_genimg.models import load_model


def __getattr__(name):
    # `data` is imported when first used, so that the package imports
    # where TensorFlow is not installed.
    if name in ("callbacks", "data", "models"):
        return importlib.import_module(f"keras_genimg.{name}")
    if name == "load_model":
        return importlib.import_module("keras_genimg.models").load_model
    raise AttributeError(f"module 'keras_genimg' has no attribute {name!r}")
