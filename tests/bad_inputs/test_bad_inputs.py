"""A table of bad inputs, each of which must fail with one clear line.

Every case names its category, what it does and the error it expects.
Python API cases expect one exception type (exactly) and a message that
names the problem, on one line. Command-line cases expect `genimg` to exit
with code 2 and print exactly one line, `genimg COMMAND: error: ...`, and
never a traceback. The README states how many cases the table holds.
"""

import errno
import gzip
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_genimg import data, models
from keras_genimg.callbacks import save_image_grid
from keras_genimg.cli.main import main
from keras_genimg.data.errors import DataSourceError
from keras_genimg.export import export_saved_model
from keras_genimg.models import DCGAN, VAE
from keras_genimg.serving import Client

SHAPE = (16, 16, 1)
LATENT_DIM = 4
NUM_CLASSES = 3
README = Path(__file__).resolve().parents[2] / "README.md"

CATEGORIES = (
    "image shape, rank or dtype",
    "zero or negative size",
    "label out of range",
    "unknown name",
    "unreadable, truncated or empty file",
    ".keras file of another model",
    "SavedModel without variables",
    "export target exists",
    "damaged model file or export",
    "output path that cannot be written",
    "serving request of the wrong width",
)
(IMAGES, SIZE, LABELS, NAMES, FILES, OTHER, NO_VARS, EXISTS, DAMAGED, OUTPUT,
 SERVING) = CATEGORIES  # fmt: skip


def api(name, category, call, error, match):
    """A Python API case: `call(env)` raises exactly `error`."""
    return pytest.param("api", category, call, error, match, id=f"api-{name}")


def cli(name, category, argv, match, marks=()):
    """A command-line case: `genimg *argv(env)` exits 2 with one line."""
    return pytest.param(
        "cli",
        category,
        argv,
        SystemExit,
        match,
        id=f"cli-{name}",
        marks=marks,
    )


def _zeros(*shape, dtype="float32"):
    return np.zeros(shape, dtype)


def _labelled():
    return np.random.default_rng(0).random((8, *SHAPE), "float32")


CASES = [
    # === Image shape, rank or dtype ===
    api(
        "fit-wrong-size",
        IMAGES,
        lambda env: env.vae.fit(_zeros(8, 8, 8, 1), verbose=0),
        ValueError,
        r"`x` must have shape \(batch, 16, 16, 1\).*\(8, 8, 8, 1\)",
    ),
    api(
        "fit-rank-3",
        IMAGES,
        lambda env: env.vae.fit(_zeros(8, 16, 16), verbose=0),
        ValueError,
        r"`x` must have shape \(batch, 16, 16, 1\).*\(8, 16, 16\)",
    ),
    api(
        "fit-uint8",
        IMAGES,
        lambda env: env.vae.fit(_zeros(8, *SHAPE, dtype="uint8"), verbose=0),
        ValueError,
        "floating point in \\[0, 1\\].*uint8",
    ),
    api(
        "fit-wrong-channels",
        IMAGES,
        lambda env: env.dcgan.fit(_zeros(8, 16, 16, 3), verbose=0),
        ValueError,
        r"\(batch, 16, 16, 1\).*\(8, 16, 16, 3\)",
    ),
    api(
        "fit-dataset-wrong-size",
        IMAGES,
        lambda env: env.dcgan.fit(
            data.load_images(_zeros(8, 8, 8, 1), batch_size=4), verbose=0
        ),
        ValueError,
        r"dataset's images must be batches of shape \(batch, 16, 16, 1\)",
    ),
    api(
        "fit-dataset-unbatched",
        IMAGES,
        lambda env: env.vae.fit(
            tf.data.Dataset.from_tensor_slices(_zeros(8, *SHAPE)), verbose=0
        ),
        ValueError,
        r"Received \(16, 16, 1\); batch the dataset",
    ),
    api(
        "fit-dataset-uint8",
        IMAGES,
        lambda env: env.vae.fit(
            tf.data.Dataset.from_tensor_slices(
                _zeros(8, *SHAPE, dtype="uint8")
            ).batch(4),
            verbose=0,
        ),
        ValueError,
        "dataset's images must be floating point.*uint8",
    ),
    api(
        "fit-float-0-255",
        IMAGES,
        lambda env: env.vae.fit(np.full((8, *SHAPE), 255.0, "float32")),
        ValueError,
        r"`x` must be in \[0, 1\]; received values from 255 to 255",
    ),
    api(
        "fit-float-minus-1-to-1",
        IMAGES,
        lambda env: env.dcgan.fit(
            np.linspace(-1, 1, 8 * 256, dtype="float32").reshape(8, *SHAPE)
        ),  # fmt: skip
        ValueError,
        r"`x` must be in \[0, 1\]; received values from -1 to 1 .*\(x \+ 1\)",
    ),
    api(
        "fit-dataset-float-0-255",
        IMAGES,
        lambda env: env.vae.fit(
            tf.data.Dataset.from_tensor_slices(
                np.full((8, *SHAPE), 255.0, "float32")
            ).batch(4),
            verbose=0,
        ),
        ValueError,
        r"dataset's images must be in \[0, 1\]; received values from 255",
    ),
    api(
        "compile-loss-fn",
        NAMES,
        lambda env: DCGAN(SHAPE, latent_dim=4).compile(
            loss_fn=keras.losses.BinaryCrossentropy()
        ),
        TypeError,
        r"DCGAN computes its own losses and takes no `loss_fn`",
    ),
    api(
        "compile-two-generator-optimizers",
        NAMES,
        lambda env: DCGAN(SHAPE, latent_dim=4).compile(
            optimizer="adam", g_optimizer="adam"
        ),
        TypeError,
        r"generator's optimizer once: `g_optimizer` or `optimizer`",
    ),
    api(
        "generate-int-z",
        IMAGES,
        lambda env: env.vae.generate(z=_zeros(2, 4, dtype="int32")),
        ValueError,
        "Latent vectors must be floating point.*int32",
    ),
    api(
        "generate-rank-1-z",
        IMAGES,
        lambda env: env.dcgan.generate(z=_zeros(4)),
        ValueError,
        r"shape \(batch, 4\).*Received shape \(4,\)",
    ),
    api(
        "encode-wrong-size",
        IMAGES,
        lambda env: env.vae.encode(_zeros(2, 8, 8, 1)),
        ValueError,
        r"`images` must have shape \(batch, 16, 16, 1\).*\(2, 8, 8, 1\)",
    ),
    api(
        "encode-rank-3",
        IMAGES,
        lambda env: env.vae.encode(_zeros(*SHAPE)),
        ValueError,
        r"`images` must have shape.*Received shape \(16, 16, 1\)",
    ),
    api(
        "encode-uint8",
        IMAGES,
        lambda env: env.vae.encode(_zeros(2, *SHAPE, dtype="uint8")),
        ValueError,
        "divide uint8 images by 255",
    ),
    api(
        "encode-empty-batch",
        IMAGES,
        lambda env: env.vae.encode(_zeros(0, *SHAPE)),
        ValueError,
        r"batch >= 1\. Received shape \(0, 16, 16, 1\)",
    ),
    api(
        "cvae-encode-wrong-size",
        IMAGES,
        lambda env: env.cvae.encode(_zeros(2, 32, 32, 1), [0, 1]),
        ValueError,
        r"\(batch, 16, 16, 1\).*\(2, 32, 32, 1\)",
    ),
    cli(
        "train-rank-2-npz",
        IMAGES,
        lambda env: ["train", "vae", "--data", env.files["rank2.npz"]],
        r"has shape \(4, 16\)\. Expected",
    ),
    cli(
        "train-float-0-255-npz",
        IMAGES,
        lambda env: ["train", "vae", "--data", env.files["float255.npz"]],
        r"outside \[0, 1\]",
    ),
    # === Zero or negative sizes ===
    api(
        "generate-zero-images",
        SIZE,
        lambda env: env.vae.generate(num_images=0),
        ValueError,
        "`num_images` must be a positive int. Received: 0",
    ),
    api(
        "generate-negative-images",
        SIZE,
        lambda env: env.dcgan.generate(num_images=-1),
        ValueError,
        "`num_images` must be a positive int. Received: -1",
    ),
    api(
        "generate-zero-batch-size",
        SIZE,
        lambda env: env.vae.generate(num_images=2, batch_size=0),
        ValueError,
        "`batch_size` must be a positive int. Received: 0",
    ),
    api(
        "cgan-generate-negative-batch-size",
        SIZE,
        lambda env: env.cgan.generate(num_images=2, batch_size=-3),
        ValueError,
        "`batch_size` must be a positive int. Received: -3",
    ),
    api(
        "zero-latent-dim",
        SIZE,
        lambda env: VAE(SHAPE, latent_dim=0),
        ValueError,
        "`latent_dim` must be a positive int. Received: 0",
    ),
    api(
        "zero-filters",
        SIZE,
        lambda env: DCGAN(SHAPE, latent_dim=4, filters=0),
        ValueError,
        "`filters` must be a positive int. Received: 0",
    ),
    api(
        "negative-filters",
        SIZE,
        lambda env: VAE(SHAPE, num_classes=3, filters=-8),
        ValueError,
        "`filters` must be a positive int. Received: -8",
    ),
    api(
        "negative-image-size",
        SIZE,
        lambda env: VAE((16, -16, 1)),
        ValueError,
        r"`image_shape` must be .* positive sizes.*\(16, -16, 1\)",
    ),
    api(
        "load-zero-batch-size",
        SIZE,
        lambda env: data.load_images("shapes", batch_size=0),
        DataSourceError,
        "batch_size must be an int >= 1, got 0",
    ),
    api(
        "load-negative-image-size",
        SIZE,
        lambda env: data.load_images("shapes", image_size=-1),
        DataSourceError,
        "image_size must be None, a positive int .* got -1",
    ),
    api(
        "export-version-zero",
        SIZE,
        lambda env: export_saved_model(env.vae, env.tmp / "v0", version=0),
        ValueError,
        "`version` must be a positive int. Received: 0",
    ),
    cli(
        "train-zero-epochs",
        SIZE,
        lambda env: ["train", "vae", "--epochs", "0"],
        "argument --epochs: must be a positive integer, got '0'",
    ),
    cli(
        "train-negative-batch-size",
        SIZE,
        lambda env: ["train", "dcgan", "--batch-size", "-3"],
        "argument --batch-size: must be a positive integer, got '-3'",
    ),
    cli(
        "train-zero-latent-dim",
        SIZE,
        lambda env: ["train", "vae", "--latent-dim", "0"],
        "argument --latent-dim: must be a positive integer",
    ),
    cli(
        "train-negative-image-size",
        SIZE,
        lambda env: ["train", "vae", "--image-size", "-4"],
        "argument --image-size: must be a positive integer, got '-4'",
    ),
    cli(
        "sample-zero-images",
        SIZE,
        lambda env: ["sample", env.files["vae.keras"], "--num", "0"],
        "argument --num: must be a positive integer, got '0'",
    ),
    cli(
        "export-version-zero",
        SIZE,
        lambda env: [
            "export",
            env.files["vae.keras"],
            "--to",
            str(env.tmp / "v0"),
            "--version",
            "0",
        ],  # fmt: skip
        "argument --version: must be a positive integer, got '0'",
    ),
    cli(
        "interpolate-zero-steps",
        SIZE,
        lambda env: ["interpolate", env.files["vae.keras"], "--steps", "0"],
        "argument --steps: must be an integer >= 2, got '0'",
    ),
    # === Labels out of range ===
    api(
        "cgan-generate-label-too-big",
        LABELS,
        lambda env: env.cgan.generate(num_images=2, labels=NUM_CLASSES),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from 3 to 3",
    ),
    api(
        "cgan-generate-negative-label",
        LABELS,
        lambda env: env.cgan.generate(num_images=2, labels=[-1, 0]),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from -1 to 0",
    ),
    api(
        "cgan-generate-float-labels",
        LABELS,
        lambda env: env.cgan.generate(num_images=2, labels=[0.5, 1.0]),
        ValueError,
        "`labels` must be one int or 2 ints.*float64",
    ),
    api(
        "cvae-encode-label-too-big",
        LABELS,
        lambda env: env.cvae.encode(_zeros(2, *SHAPE), [0, 3]),
        ValueError,
        r"`labels` must be in \[0, 3\)",
    ),
    api(
        "cgan-fit-label-too-big",
        LABELS,
        lambda env: env.cgan.fit(_labelled(), np.full(8, 5), verbose=0),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from 5 to 5",
    ),
    api(
        "cgan-fit-negative-label",
        LABELS,
        lambda env: env.cgan.fit(_labelled(), np.full(8, -1), verbose=0),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from -1 to -1",
    ),
    api(
        "cvae-fit-label-too-big",
        LABELS,
        lambda env: env.cvae.fit(
            _labelled(), np.full((8, 1), NUM_CLASSES), verbose=0
        ),
        ValueError,
        r"`labels` must be in \[0, 3\)",
    ),
    api(
        "cgan-fit-without-labels",
        LABELS,
        lambda env: env.cgan.fit(_labelled(), verbose=0),
        ValueError,
        "conditional DCGAN trains on labelled data",
    ),
    cli(
        "train-cgan-npz-label-minus-one",
        LABELS,
        lambda env: ["train", "cgan", "--data", env.files["label_minus_1.npz"]],
        r"must be class indices in \[0, 10000\); found values from -1 to 1",
    ),
    cli(
        "train-cgan-npz-label-million",
        LABELS,
        lambda env: ["train", "cgan", "--data", env.files["label_1e6.npz"]],
        r"must be class indices in \[0, 10000\); found values from 0 to "
        "1000000",
    ),
    api(
        "load-arrays-int64-label-past-int32",
        LABELS,
        lambda env: data.load_arrays(
            (_zeros(2, *SHAPE), np.array([0, 2**40 + 1], "int64"))
        ),
        DataSourceError,
        r"found values from 0 to 1099511627777",
    ),
    cli(
        "interpolate-label-too-big",
        LABELS,
        lambda env: ["interpolate", env.files["cgan.keras"], "--label", "5"],
        r"`labels` must be in \[0, 3\)",
    ),
    cli(
        "traverse-negative-label",
        LABELS,
        lambda env: ["traverse", env.files["cgan.keras"], "--label", "-1"],
        r"`labels` must be in \[0, 3\)\. Received values from -1",
    ),
    # === Unknown model or data names ===
    api(
        "unknown-model",
        NAMES,
        lambda env: models.get("stylegan", image_shape=SHAPE),
        ValueError,
        "Unknown model 'stylegan'. Expected one of: cgan, cvae, dcgan",
    ),
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
    api(
        "unknown-signature",
        NAMES,
        lambda env: env.client.predict("no_such_signature", {}),
        ValueError,
        "no_such_signature",
    ),
    cli(
        "train-unknown-model",
        NAMES,
        lambda env: ["train", "stylegan"],
        "argument model: invalid choice: 'stylegan'",
    ),
    cli(
        "train-unknown-source",
        NAMES,
        lambda env: ["train", "vae", "--data", "no_such_data"],
        "Unknown source 'no_such_data'",
    ),
    cli(
        "train-empty-tfds-name",
        NAMES,
        lambda env: ["train", "vae", "--data", "tfds:"],
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
    cli(
        "train-truncated-npz",
        FILES,
        lambda env: ["train", "vae", "--data", env.files["truncated.npz"]],
        "truncated.npz' could not be read",
    ),
    cli(
        "train-truncated-idx",
        FILES,
        lambda env: ["train", "vae", "--data", env.files["idx_truncated"]],
        "is truncated",
    ),
    cli(
        "train-bad-image-file",
        FILES,
        lambda env: ["train", "vae", "--data", env.files["images_garbage"]],
        "b.png' is not a PNG, JPEG, GIF or BMP image",
    ),
    cli(
        "sample-empty-keras",
        FILES,
        lambda env: ["sample", env.files["empty.keras"]],
        r"empty\.keras' is not a \.keras archive: the file is empty or trunc",
    ),
    cli(
        "export-truncated-keras",
        FILES,
        lambda env: [
            "export",
            env.files["truncated.keras"],
            "--to",
            str(env.tmp / "t"),
        ],  # fmt: skip
        r"truncated\.keras' is not a \.keras archive",
    ),
    cli(
        "export-missing-keras",
        FILES,
        lambda env: [
            "export",
            str(env.tmp / "missing.keras"),
            "--to",
            str(env.tmp / "t"),
        ],  # fmt: skip
        "No model at .*missing.keras",
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
    cli(
        "export-other-model",
        OTHER,
        lambda env: [
            "export",
            env.files["other.keras"],
            "--to",
            str(env.tmp / "o"),
        ],  # fmt: skip
        "holds a Sequential, not a keras_genimg model",
    ),
    cli(
        "traverse-data-without-encoder",
        OTHER,
        lambda env: [
            "traverse",
            env.files["dcgan.keras"],
            "--data",
            env.files["images.npz"],
        ],  # fmt: skip
        "--data needs a model with an encoder .* DCGAN has none",
    ),
    cli(
        "sample-other-model",
        OTHER,
        lambda env: ["sample", env.files["other.keras"]],
        "holds a Sequential, not a keras_genimg model",
    ),
    cli(
        "interpolate-other-model",
        OTHER,
        lambda env: ["interpolate", env.files["other.keras"]],
        "holds a Sequential, not a keras_genimg model",
    ),
    # === A SavedModel version directory without variables ===
    api(
        "client-without-variables",
        NO_VARS,
        lambda env: Client.from_saved_model(env.files["no_variables"]),
        FileNotFoundError,
        "has no variables .*variables.index is missing.* incomplete",
    ),
    api(
        "client-with-empty-variables",
        NO_VARS,
        lambda env: Client.from_saved_model(env.files["empty_variables"]),
        FileNotFoundError,
        "has no variables",
    ),
    cli(
        "sample-without-variables",
        NO_VARS,
        lambda env: ["sample", env.files["no_variables"]],
        "has no variables .* Export the model again",
    ),
    cli(
        "sample-with-empty-variables",
        NO_VARS,
        lambda env: ["sample", env.files["empty_variables"]],
        "has no variables",
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
    cli(
        "export-existing-version",
        EXISTS,
        lambda env: [
            "export",
            env.files["vae.keras"],
            "--to",
            env.base_dir,
            "--version",
            "1",
        ],  # fmt: skip
        "Version 1 already exists",
    ),
    cli(
        "export-into-a-version",
        EXISTS,
        lambda env: [
            "export",
            env.files["vae.keras"],
            "--to",
            env.version_dir,
        ],  # fmt: skip
        "is an exported version, not a model's base folder",
    ),
    cli(
        "train-export-into-a-version-before-training",
        EXISTS,
        lambda env: [
            "train",
            "vae",
            "--epochs",
            "60",
            "--export",
            env.version_dir,
        ],  # fmt: skip
        "is an exported version, not a model's base folder",
    ),
    cli(
        "train-out-under-a-file",
        EXISTS,
        lambda env: [
            "train",
            "vae",
            "--out",
            os.path.join(env.files["notes.txt"], "run"),
        ],  # fmt: skip
        "notes.txt' is a file, not a folder",
    ),
    # === A damaged model file or export ===
    *[
        api(
            f"load-{name}",
            DAMAGED,
            lambda env, name=name: models.load_model(env.files[name]),
            ValueError,
            f"{name}' cannot be opened as a Keras model.*{reason}",
        )
        for name, reason in [
            ("truncated_weights.keras", "truncated file"),
            ("foreign.keras", "no item named 'config.json'"),
            ("unknown_class.keras", "Could not locate class 'NoSuchModel'"),
        ]
    ],
    *[
        api(
            f"open-export-{name}",
            DAMAGED,
            lambda env, name=name: Client.from_saved_model(env.files[name]),
            ValueError,
            f"{name}/1' cannot be loaded .*damaged or truncated.*{reason}",
        )
        for name, reason in [
            ("truncated_pb", "MetaGraphDef|parse"),
            ("truncated_variables", "Read less bytes"),
        ]
    ],
    *[
        cli(
            f"sample-{name}",
            DAMAGED,
            lambda env, name=name: ["sample", env.files[name]],
            "cannot be (opened as a Keras model|loaded)",
        )
        for name in [
            "truncated_weights.keras",
            "foreign.keras",
            "unknown_class.keras",
            "truncated_pb",
            "truncated_variables",
        ]
    ],
    # === An output path that cannot be written ===
    api(
        "grid-onto-a-folder",
        OUTPUT,
        lambda env: save_image_grid(env.tmp / "a_folder", _zeros(4, *SHAPE)),
        IsADirectoryError,
        "a_folder' is a folder; give the path of a file to write",
    ),
    api(
        "grid-under-a-file",
        OUTPUT,
        lambda env: save_image_grid(
            env.tmp / "a_file" / "grid.png", _zeros(4, *SHAPE)
        ),
        FileExistsError,
        "a_file' is a file, not a folder",
    ),
    api(
        "export-under-a-file",
        OUTPUT,
        lambda env: export_saved_model(env.vae, env.tmp / "a_file" / "vae"),
        FileExistsError,
        "a_file' is a file, not a folder",
    ),
    cli(
        "sample-onto-a-folder",
        OUTPUT,
        lambda env: ["sample", env.files["vae.keras"], "--out", "a_folder"],
        "'a_folder' is a folder; give the path of a file to write",
    ),
    cli(
        "sample-under-a-file",
        OUTPUT,
        lambda env: ["sample", env.files["vae.keras"], "--out", "a_file/x.png"],
        "a_file' is a file, not a folder",
    ),
    cli(
        "synthesize-onto-a-folder",
        OUTPUT,
        lambda env: [
            "synthesize",
            env.files["cgan.keras"],
            "--per-class",
            "1",
            "--out",
            "a_folder",
        ],  # fmt: skip
        "'a_folder' is a folder",
    ),
    cli(
        "eval-onto-a-folder",
        OUTPUT,
        lambda env: [
            "eval",
            env.files["vae.keras"],
            "--data",
            "shapes",
            "--out",
            "a_folder",
        ],  # fmt: skip
        "'a_folder' is a folder",
    ),
    cli(
        "export-under-a-file",
        OUTPUT,
        lambda env: ["export", env.files["vae.keras"], "--to", "a_file/vae"],
        "a_file' is a file, not a folder",
    ),
    cli(
        "train-under-a-file",
        OUTPUT,
        lambda env: ["train", "vae", "--out", "a_file/run"],
        "a_file' is a file, not a folder",
    ),
    # === A serving request with the wrong width of z ===
    api(
        "generate-z-too-wide",
        SERVING,
        lambda env: env.client.generate(_zeros(2, LATENT_DIM + 1)),
        ValueError,
        r"Input 'z' of signature 'serving_default' must have shape "
        r"\(batch, 4\)\. Received shape \(2, 5\)",
    ),
    api(
        "generate-z-list-too-narrow",
        SERVING,
        lambda env: env.client.generate([[0.0] * (LATENT_DIM - 1)]),
        ValueError,
        r"must have shape \(batch, 4\)\. Received shape \(1, 3\)",
    ),
    api(
        "decode-z-too-wide",
        SERVING,
        lambda env: env.client.predict(
            "decode", {"z": _zeros(1, 2 * LATENT_DIM)}
        ),
        ValueError,
        r"Input 'z' of signature 'decode' must have shape \(batch, 4\)",
    ),
    api(
        "session-z-too-wide",
        SERVING,
        lambda env: env.client.transport.predict(
            "serving_default", {"z": _zeros(2, LATENT_DIM + 1)}, {}
        ),
        ValueError,
        r"Cannot feed value of shape \(2, 5\)",
    ),
    api(
        "keras-z-too-wide",
        SERVING,
        lambda env: env.vae.generate(z=_zeros(2, LATENT_DIM + 1)),
        ValueError,
        r"Latent vectors must have shape \(batch, 4\).*\(2, 5\)",
    ),
]


# === Fixtures ===


def _write_files(tmp):
    """Writes the bad (and a few good) files the cases read."""
    files = {}

    def path(name):
        files[name] = str(tmp / name)
        return tmp / name

    np.savez(path("images.npz"), x=_zeros(4, *SHAPE))
    good = (tmp / "images.npz").read_bytes()
    path("empty.npz").write_bytes(b"")
    path("truncated.npz").write_bytes(good[: len(good) // 2])
    path("garbage.npz").write_bytes(b"this is not a zip archive")
    np.savez(path("no_images.npz"), x=_zeros(0, *SHAPE))
    np.savez(path("rank2.npz"), x=_zeros(4, 16))
    np.savez(path("float255.npz"), x=np.full((4, *SHAPE), 255.0, "float32"))
    np.savez(path("label_minus_1.npz"), x=_zeros(4, *SHAPE), y=[0, 1, -1, 1])
    np.savez(path("label_1e6.npz"), x=_zeros(4, *SHAPE), y=[0, 10**6, 0, 1])
    path("notes.txt").write_text("not images\n")

    header = b"".join(n.to_bytes(4, "big") for n in (0x803, 10, 4, 4))
    idx_files = {
        "idx_empty": ("train-images-idx3-ubyte", b""),
        "idx_truncated": ("train-images-idx3-ubyte", header + bytes(50)),
        "idx_gz": (
            "train-images-idx3-ubyte.gz",
            gzip.compress(header + bytes(160))[:30],
        ),
    }
    for name, (file, content) in idx_files.items():
        path(name).mkdir()
        (tmp / name / file).write_bytes(content)

    png = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16), "uint8")
    Image.fromarray(pixels).save(png, "PNG")
    png = png.getvalue()
    folders = {
        # A bad file after a good one is found before training starts.
        "images_empty": {"a.png": png, "b.png": b""},
        "images_garbage": {"a.png": png, "b.png": b"not an image"},
        "images_truncated": {"a.png": png[: len(png) // 2]},
    }
    for name, contents in folders.items():
        path(name).mkdir()
        for file, content in contents.items():
            (tmp / name / file).write_bytes(content)
    path("no_images").mkdir()
    return files


def _write_models(tmp, files, env):
    keras.utils.set_random_seed(0)
    kwargs = {"image_shape": SHAPE, "latent_dim": LATENT_DIM, "filters": 8}
    env.vae = VAE(seed=0, **kwargs)
    env.dcgan = DCGAN(seed=0, **kwargs)
    env.cgan = DCGAN(num_classes=NUM_CLASSES, seed=0, **kwargs)
    env.cvae = VAE(num_classes=NUM_CLASSES, seed=0, **kwargs)
    for model in (env.vae, env.dcgan, env.cgan, env.cvae):
        model.compile()
    for name in ("vae", "dcgan", "cgan"):
        getattr(env, name).save(tmp / f"{name}.keras")
        files[f"{name}.keras"] = str(tmp / f"{name}.keras")
    other = keras.Sequential(
        [keras.Input((LATENT_DIM,)), keras.layers.Dense(2)]
    )
    other.save(tmp / "other.keras")
    files["other.keras"] = str(tmp / "other.keras")
    (tmp / "empty.keras").write_bytes(b"")
    files["empty.keras"] = str(tmp / "empty.keras")
    good = (tmp / "vae.keras").read_bytes()
    (tmp / "truncated.keras").write_bytes(good[: len(good) // 2])
    files["truncated.keras"] = str(tmp / "truncated.keras")

    env.base_dir = str(tmp / "saved_models" / "vae")
    env.version_dir = export_saved_model(env.vae, env.base_dir, warmup=False)
    no_variables = tmp / "no_variables" / "1"
    shutil.copytree(env.version_dir, no_variables)
    shutil.rmtree(no_variables / "variables")
    files["no_variables"] = str(no_variables)
    empty_variables = tmp / "empty_variables" / "1"
    shutil.copytree(env.version_dir, empty_variables)
    for file in (empty_variables / "variables").iterdir():
        file.unlink()
    files["empty_variables"] = str(empty_variables)
    env.client = Client.from_saved_model(env.version_dir)
    _write_damaged(tmp, files, env.version_dir)


def _write_damaged(tmp, files, version_dir):
    """Damaged `.keras` files and exports, and output-path traps."""

    def rewrite(name, change):
        with (
            zipfile.ZipFile(tmp / "vae.keras") as source,
            zipfile.ZipFile(tmp / name, "w") as target,
        ):
            for item in source.namelist():
                content = change(item, source.read(item))
                if content is not None:
                    target.writestr(item, content)
        files[name] = str(tmp / name)

    rewrite(
        "truncated_weights.keras",
        lambda item, b: b[: len(b) // 2] if item.endswith(".h5") else b,
    )
    rewrite(
        "unknown_class.keras",
        lambda item, b: b.replace(b"VAE", b"NoSuchModel"),
    )
    with zipfile.ZipFile(tmp / "foreign.keras", "w") as other_tool:
        other_tool.writestr("weights.bin", b"\0" * 64)
    files["foreign.keras"] = str(tmp / "foreign.keras")
    for name, damaged in [
        ("truncated_pb", "saved_model.pb"),
        ("truncated_variables", "variables/variables.data-00000-of-00001"),
    ]:
        shutil.copytree(version_dir, tmp / name / "1")
        os.truncate(tmp / name / "1" / damaged, 100)
        files[name] = str(tmp / name / "1")
    (tmp / "a_folder").mkdir()
    (tmp / "a_file").write_text("not a folder")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The models, files and exports the cases use, built once."""
    tmp = tmp_path_factory.mktemp("bad_inputs")
    env = SimpleNamespace(tmp=tmp)
    env.files = _write_files(tmp)
    _write_models(tmp, env.files, env)
    yield env
    env.client.close()


# === The table ===


@pytest.mark.parametrize("kind, category, run, error, match", CASES)
def test_bad_input_fails_with_one_clear_line(
    kind, category, run, error, match, env, capsys, monkeypatch
):
    monkeypatch.chdir(env.tmp)  # Commands write their outputs here.
    before = sorted(os.listdir(env.base_dir))
    with pytest.raises(error) as info:
        if kind == "api":
            run(env)
        else:
            main(run(env))
    if kind == "api":
        assert type(info.value) is error
        message = str(info.value)
        assert re.search(match, message), message
        assert "\n" not in message.strip(), message
    else:
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"genimg {run(env)[0]}: error: "), err
        assert re.search(match, lines[0]), err
    # No bad input leaves a new or changed export behind.
    assert sorted(os.listdir(env.base_dir)) == before


def _count_in_readme():
    found = re.search(r"(\d+) bad inputs tried", README.read_text())
    assert found, "README.md does not say how many bad inputs are tried"
    return int(found.group(1))


def test_readme_counts_every_case():
    assert _count_in_readme() == len(CASES)


def test_every_category_has_several_cases_of_both_kinds():
    kinds = {category: set() for category in CATEGORIES}
    counts = dict.fromkeys(CATEGORIES, 0)
    for case in CASES:
        kind, category = case.values[:2]
        kinds[category].add(kind)
        counts[category] += 1
    assert all(count >= 3 for count in counts.values()), counts
    # Every category but the serving one, which no command sends z for,
    # is tried through both the Python API and the command line.
    assert all(kinds[c] == {"api", "cli"} for c in CATEGORIES[:-1]), kinds
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.slow
def test_console_script_prints_no_traceback(env):
    """A real `genimg` process, on data whose second image is not one."""
    genimg = shutil.which("genimg")
    command = (
        [genimg] if genimg else [sys.executable, "-m", "keras_genimg.cli.main"]
    )
    result = subprocess.run(
        command + ["train", "vae", "--data", env.files["images_garbage"]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.tmp,
    )
    assert result.returncode == 2
    # Nothing else: TensorFlow's C++ messages are hidden.
    bad_file = os.path.join(env.files["images_garbage"], "b.png")
    assert result.stderr.splitlines() == [
        f"genimg train: error: The file {bad_file!r} is not a PNG, JPEG, "
        "GIF or BMP image; it is corrupt or of another kind."
    ]


def _full_disk(max_bytes):
    """For a child process: files may grow to `max_bytes` only, and writing
    past that fails with an error (EFBIG) as on a full disk."""

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return limit


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, written",
    [
        (["sample", "vae.keras", "--num", "64", "--out", "out/grid.png"],
         "out/grid.png"),
        (["synthesize", "cgan.keras", "--per-class", "50", "--out",
          "out/synthetic.npz"], "out/synthetic.npz"),
    ],
)  # fmt: skip
def test_full_disk_is_one_line_and_leaves_nothing_half_written(
    env, argv, written
):
    (env.tmp / "out").mkdir(exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "keras_genimg.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env.tmp,
        preexec_fn=_full_disk(2000),
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"genimg {argv[0]}: error: [Errno {errno.EFBIG}] No room to write "
        f"{written!r}: File too large"
    ]
    assert os.listdir(env.tmp / "out") == []


@pytest.mark.slow
def test_module_entry_point_prints_one_line_too(env):
    """`python -m keras_genimg.cli.main` (how `genimg` re-runs itself on
    another backend) reports a command's error as `genimg` does."""
    result = subprocess.run(
        [sys.executable, "-m", "keras_genimg.cli.main", "export",
         "vae.keras", "--to", "a_file/vae"],
        capture_output=True, text=True, timeout=120, cwd=env.tmp,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"genimg export: error: {str(env.tmp / 'a_file')!r} is a file, not "
        "a folder."
    ]
