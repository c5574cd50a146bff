"""Bad inputs of the `genimg` command line.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

import os

from tests.bad_inputs import (
    ARGUMENT,
    DAMAGED,
    EXISTS,
    FILES,
    IMAGES,
    LABELS,
    NAMES,
    NO_VARS,
    OTHER,
    OUTPUT,
    SIZE,
    cli,
)


def eval_vae(env, *options):
    """`genimg eval` of the table's VAE on shapes, with `options`."""
    return ["eval", env.files["vae.keras"], "--data", "shapes", *options]


CASES = [
    # === Image shape, rank or dtype ===
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
    cli(
        "interpolate-strip-named-as-the-gif",
        OUTPUT,
        lambda env: [
            "interpolate",
            env.files["vae.keras"],
            "--out",
            str(env.tmp / "strip.gif"),
        ],  # fmt: skip
        "would be overwritten by the GIF: --out names the PNG strip",
    ),
    cli(
        "traverse-negative-index",
        SIZE,
        lambda env: [
            "traverse",
            env.files["vae.keras"],
            "--data",
            env.files["images.npz"],
            "--index",
            "-1",
        ],
        "argument --index: must be a non-negative integer, got '-1'",
    ),
    # === Labels out of range ===
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
    cli(
        "train-unknown-model-option",
        NAMES,
        lambda env: ["train", "vae", "--option", "use_ema=false"],
        "--option use_ema: vae has no such option; it has beta, filters, "
        "prior_components, reconstruction_loss",
    ),
    cli(
        "train-option-set-by-training",
        NAMES,
        lambda env: ["train", "dcgan", "--option", "latent_dim=8"],
        "--option latent_dim: genimg train sets latent_dim itself; use "
        "--latent-dim",
    ),
    cli(
        "train-option-without-value",
        NAMES,
        lambda env: ["train", "dcgan", "--option", "use_ema"],
        "argument --option: expected KEY=VALUE",
    ),
    cli(
        "train-bad-option-value",
        NAMES,
        lambda env: [
            "train",
            "sngan",
            "--option",
            "loss=wasserstein",
            "--limit",
            "8",
        ],
        "`loss` must be one of bce, hinge. Received: 'wasserstein'",
    ),
    # === Arguments of the wrong type or out of range ===
    cli(
        "train-option-not-a-number",
        ARGUMENT,
        lambda env: ["train", "vae", "--option", "beta=abc", "--limit", "8"],
        "`beta` must be a number >= 0. Received: 'abc'",
    ),
    cli(
        "train-option-a-list",
        ARGUMENT,
        lambda env: [
            "train",
            "dcgan",
            "--option",
            "label_smoothing=[1, 2]",
            "--limit",
            "8",
        ],  # fmt: skip
        r"`label_smoothing` must be a number in \[0, 1\)\. Received: "
        r"\[1, 2\]",
    ),
    # === Unreadable, truncated and empty files ===
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
        "train-second-image-file-truncated",
        FILES,
        lambda env: [
            "train",
            "dcgan",
            "--data",
            env.files["images_second_truncated"],
        ],  # fmt: skip
        r"b.png' could not be decoded \(Invalid PNG data",
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
        "export-sampling-steps-of-a-vae",
        OTHER,
        lambda env: [
            "export",
            env.files["vae.keras"],
            "--to",
            str(env.tmp / "v"),
            "--sampling-steps",
            "3",
        ],  # fmt: skip
        "--sampling-steps is for diffusion models; .*vae.keras holds a VAE",
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
        "eval-features-of-a-zoo-model",
        OTHER,
        lambda env: eval_vae(env, "--features", env.files["vae.keras"]),
        r"VAE '\w+' is not a classifier: a judge is a functional Keras model",
    ),
    cli(
        "interpolate-other-model",
        OTHER,
        lambda env: ["interpolate", env.files["other.keras"]],
        "holds a Sequential, not a keras_genimg model",
    ),
    # === A SavedModel version directory without variables ===
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
        "eval-features-of-no-judge",
        NAMES,
        lambda env: eval_vae(env, "--features", "judge.h5"),
        "--features: features must be 'inception' or a judge .keras file, "
        "got 'judge.h5'",
    ),
    cli(
        "eval-inception-weights-with-a-judge",
        NAMES,
        lambda env: eval_vae(
            env, "--features", "judge.keras", "--inception-weights", "w.h5"
        ),
        "Inception weights go with the 'inception' features",
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
]
