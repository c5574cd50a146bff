"""Bad inputs of `keras_genimg.data`: the sources and their files.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

import numpy as np

from keras_genimg import data
from keras_genimg.data.errors import DataSourceError
from tests.bad_inputs import (
    FILES,
    LABELS,
    NAMES,
    SHAPE,
    SIZE,
    api,
    zeros,
)

CASES = [
    # === Zero or negative sizes ===
    api(
        "load-zero-batch-size",
        SIZE,
        lambda env: data.load_images("shapes", batch_size=0),
        DataSourceError,
        "batch_size must be an int >= 1, got 0",
    ),
    api(
        "render-unknown-pose",
        NAMES,
        lambda env: data.render_shapes(2, pose="tilted"),
        DataSourceError,
        "pose must be one of 'random', 'centred', got 'tilted'",
    ),
    api(
        "load-negative-image-size",
        SIZE,
        lambda env: data.load_images("shapes", image_size=-1),
        DataSourceError,
        "image_size must be None, a positive int .* got -1",
    ),
    # === Labels out of range ===
    api(
        "load-arrays-int64-label-past-int32",
        LABELS,
        lambda env: data.load_arrays(
            (zeros(2, *SHAPE), np.array([0, 2**40 + 1], "int64"))
        ),
        DataSourceError,
        r"found values from 0 to 1099511627777",
    ),
    # === Unknown model or data names ===
    api(
        "unknown-source",
        NAMES,
        lambda env: data.load_images("no_such_data"),
        DataSourceError,
        "Unknown source 'no_such_data'.*Valid sources: 'shapes'",
    ),
    api(
        "empty-tfds-name",
        NAMES,
        lambda env: data.load_images("tfds:"),
        DataSourceError,
        "source 'tfds:' needs a data set name",
    ),
    # === Unreadable, truncated and empty files ===
    api(
        "empty-npz",
        FILES,
        lambda env: data.load_images(env.files["empty.npz"]),
        DataSourceError,
        "empty.npz' could not be read; it is corrupt, truncated",
    ),
    api(
        "truncated-npz",
        FILES,
        lambda env: data.load_images(env.files["truncated.npz"]),
        DataSourceError,
        "truncated.npz' could not be read; it is corrupt, truncated",
    ),
    api(
        "not-an-npz",
        FILES,
        lambda env: data.load_images(env.files["garbage.npz"]),
        DataSourceError,
        "garbage.npz' could not be read",
    ),
    api(
        "npz-without-images",
        FILES,
        lambda env: data.load_images(env.files["no_images.npz"]),
        DataSourceError,
        r"holds no images \(shape \(0, 16, 16, 1\)\)",
    ),
    api(
        "empty-idx",
        FILES,
        lambda env: data.load_images(env.files["idx_empty"]),
        DataSourceError,
        "is truncated: 0 bytes is shorter than its header",
    ),
    api(
        "truncated-idx",
        FILES,
        lambda env: data.load_images(env.files["idx_truncated"]),
        DataSourceError,
        "is truncated: its header promises 160 bytes .* found 50",
    ),
    api(
        "idx-header-promising-a-terabyte",
        FILES,
        lambda env: data.load_images(env.files["idx_huge"]),
        DataSourceError,
        r"is truncated: its header promises 1099511627776 bytes .* found 100",
    ),
    api(
        "truncated-idx-gz",
        FILES,
        lambda env: data.load_images(env.files["idx_gz"]),
        DataSourceError,
        "could not be read; it is corrupt or truncated",
    ),
    api(
        "empty-image-file",
        FILES,
        lambda env: data.load_images(env.files["images_empty"]),
        DataSourceError,
        "b.png' is empty",
    ),
    api(
        "not-an-image-file",
        FILES,
        lambda env: data.load_images(env.files["images_garbage"]),
        DataSourceError,
        "b.png' is not a PNG, JPEG, GIF or BMP image",
    ),
    api(
        "truncated-image-file",
        FILES,
        lambda env: data.load_images(env.files["images_truncated"]),
        DataSourceError,
        r"a.png' could not be decoded \(Invalid PNG data",
    ),
    api(
        "second-image-file-truncated",
        FILES,
        lambda env: data.load_dataset(env.files["images_second_truncated"]),
        DataSourceError,
        r"b.png' could not be decoded \(Invalid PNG data",
    ),
    api(
        "folder-without-images",
        FILES,
        lambda env: data.load_images(env.files["no_images"]),
        DataSourceError,
        "holds no images. Accepted extensions: .bmp",
    ),
    api(
        "unsupported-file",
        FILES,
        lambda env: data.load_images(env.files["notes.txt"]),
        DataSourceError,
        "notes.txt': unsupported file type",
    ),
]
