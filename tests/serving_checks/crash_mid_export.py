"""Export a tiny DCGAN and die, without cleaning up, before publishing.

Run as `python crash_mid_export.py BASE_DIR`. The process writes the whole
SavedModel into its staging directory, then ends with `os._exit(3)` (no
`finally` blocks run), as a killed exporter would.
"""

import os
import sys

from keras_genimg.export import saved_model
from keras_genimg.models import DCGAN


def crash(*args, **kwargs):
    os._exit(3)


if __name__ == "__main__":
    saved_model.verify_export = crash
    model = DCGAN(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    saved_model.export_saved_model(model, sys.argv[1])
