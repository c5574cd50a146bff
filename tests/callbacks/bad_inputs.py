"""Bad inputs of the callbacks' image grids.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

from keras_genimg.callbacks import save_image_grid
from tests.bad_inputs import (
    OUTPUT,
    SHAPE,
    api,
    zeros,
)

CASES = [
    # === An output path that cannot be written ===
    api(
        "grid-onto-a-folder",
        OUTPUT,
        lambda env: save_image_grid(env.tmp / "a_folder", zeros(4, *SHAPE)),
        IsADirectoryError,
        "a_folder' is a folder; give the path of a file to write",
    ),
    api(
        "grid-under-a-file",
        OUTPUT,
        lambda env: save_image_grid(
            env.tmp / "a_file" / "grid.png", zeros(4, *SHAPE)
        ),
        FileExistsError,
        "a_file' is a file, not a folder",
    ),
]
