"""keras_genimg: a Keras 3 model zoo for image generation.

Public images are float32 in [0, 1], channels last, everywhere: data sets,
``generate``, callbacks and exports.
"""

__version__ = "0.1.0"
