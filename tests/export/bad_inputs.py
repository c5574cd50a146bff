"""Bad inputs of `export_saved_model`.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

import keras

from keras_genimg.export import export_saved_model
from tests.bad_inputs import (
    EXISTS,
    OTHER,
    OUTPUT,
    SIZE,
    api,
)

CASES = [
    # === Zero or negative sizes ===
    api(
        "export-version-zero",
        SIZE,
        lambda env: export_saved_model(env.vae, env.tmp / "v0", version=0),
        ValueError,
        "`version` must be a positive int. Received: 0",
    ),
    # === A .keras file of another model ===
    api(
        "export-a-keras-sequential",
        OTHER,
        lambda env: export_saved_model(
            keras.models.load_model(env.files["other.keras"]), env.tmp / "o"
        ),
        ValueError,
        "Cannot export Sequential: a zoo model has `image_shape`",
    ),
    api(
        "export-a-path",
        OTHER,
        lambda env: export_saved_model(env.files["vae.keras"], env.tmp / "o"),
        ValueError,
        "Cannot export str",
    ),
    # === An export target that exists ===
    api(
        "export-existing-version",
        EXISTS,
        lambda env: export_saved_model(env.vae, env.base_dir, version=1),
        FileExistsError,
        "Version 1 already exists .* never overwritten",
    ),
    api(
        "export-onto-a-file",
        EXISTS,
        lambda env: export_saved_model(env.vae, env.files["notes.txt"]),
        FileExistsError,
        "notes.txt' exists and is not a folder",
    ),
    api(
        "export-into-a-version",
        EXISTS,
        lambda env: export_saved_model(env.vae, env.version_dir),
        FileExistsError,
        "is an exported version, not a model's base folder",
    ),
    # === An output path that cannot be written ===
    api(
        "export-under-a-file",
        OUTPUT,
        lambda env: export_saved_model(env.vae, env.tmp / "a_file" / "vae"),
        FileExistsError,
        "a_file' is a file, not a folder",
    ),
]
