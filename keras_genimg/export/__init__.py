"""Export zoo models as SavedModels for TF Serving.

`export_saved_model` writes a verified, versioned export of a model's
inference networks; `model_server_config` lists the exports under a folder
for TF Serving's `--model_config_file`; `generate_from_seeds` gives, with
the Keras model, the images the exported `sample` signature serves;
`open_generator` draws those images from a run folder, a `.keras` file or
a SavedModel alike, and `client_generator` from a server.
"""

from keras_genimg.export.generator import (
    Generator,
    client_generator,
    open_generator,
)
from keras_genimg.export.latents import (
    generate_from_seeds,
    latents_from_seeds,
)
from keras_genimg.export.saved_model import export_saved_model
from keras_genimg.export.serving_config import (
    find_exported_models,
    model_server_config,
)
from keras_genimg.export.signatures import serving_signatures, signature_table
from keras_genimg.export.verify import ExportError

__all__ = [
    "ExportError",
    "Generator",
    "client_generator",
    "export_saved_model",
    "find_exported_models",
    "generate_from_seeds",
    "latents_from_seeds",
    "model_server_config",
    "open_generator",
    "serving_signatures",
    "signature_table",
]
