"""Bad inputs of the zoo's models: `fit`, `generate`, `encode`, the
constructors, `compile`, `models.get` and `models.load_model`.

Each fails with one clear line; `tests/bad_inputs/test_bad_inputs.py` runs
every area's table and checks the README's count against them all.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_genimg import data, models
from keras_genimg.models import DCGAN, VAE
from tests.bad_inputs import (
    ARGUMENT,
    DAMAGED,
    IMAGES,
    LABELS,
    LATENT_DIM,
    NAMES,
    NUM_CLASSES,
    SERVING,
    SHAPE,
    SIZE,
    api,
    labelled,
    zeros,
)

CASES = [
    # === Image shape, rank or dtype ===
    api(
        "fit-wrong-size",
        IMAGES,
        lambda env: env.vae.fit(zeros(8, 8, 8, 1), verbose=0),
        ValueError,
        r"`x` must have shape \(batch, 16, 16, 1\).*\(8, 8, 8, 1\)",
    ),
    api(
        "fit-rank-3",
        IMAGES,
        lambda env: env.vae.fit(zeros(8, 16, 16), verbose=0),
        ValueError,
        r"`x` must have shape \(batch, 16, 16, 1\).*\(8, 16, 16\)",
    ),
    api(
        "fit-uint8",
        IMAGES,
        lambda env: env.vae.fit(zeros(8, *SHAPE, dtype="uint8"), verbose=0),
        ValueError,
        "floating point in \\[0, 1\\].*uint8",
    ),
    api(
        "fit-wrong-channels",
        IMAGES,
        lambda env: env.dcgan.fit(zeros(8, 16, 16, 3), verbose=0),
        ValueError,
        r"\(batch, 16, 16, 1\).*\(8, 16, 16, 3\)",
    ),
    api(
        "fit-dataset-wrong-size",
        IMAGES,
        lambda env: env.dcgan.fit(
            data.load_images(zeros(8, 8, 8, 1), batch_size=4), verbose=0
        ),
        ValueError,
        r"dataset's images must be batches of shape \(batch, 16, 16, 1\)",
    ),
    api(
        "fit-dataset-unbatched",
        IMAGES,
        lambda env: env.vae.fit(
            tf.data.Dataset.from_tensor_slices(zeros(8, *SHAPE)), verbose=0
        ),
        ValueError,
        r"Received \(16, 16, 1\); batch the dataset",
    ),
    api(
        "fit-dataset-uint8",
        IMAGES,
        lambda env: env.vae.fit(
            tf.data.Dataset.from_tensor_slices(
                zeros(8, *SHAPE, dtype="uint8")
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
        lambda env: env.vae.generate(z=zeros(2, 4, dtype="int32")),
        ValueError,
        "Latent vectors must be floating point.*int32",
    ),
    api(
        "generate-rank-1-z",
        IMAGES,
        lambda env: env.dcgan.generate(z=zeros(4)),
        ValueError,
        r"shape \(batch, 4\).*Received shape \(4,\)",
    ),
    api(
        "encode-wrong-size",
        IMAGES,
        lambda env: env.vae.encode(zeros(2, 8, 8, 1)),
        ValueError,
        r"`images` must have shape \(batch, 16, 16, 1\).*\(2, 8, 8, 1\)",
    ),
    api(
        "encode-rank-3",
        IMAGES,
        lambda env: env.vae.encode(zeros(*SHAPE)),
        ValueError,
        r"`images` must have shape.*Received shape \(16, 16, 1\)",
    ),
    api(
        "encode-uint8",
        IMAGES,
        lambda env: env.vae.encode(zeros(2, *SHAPE, dtype="uint8")),
        ValueError,
        "divide uint8 images by 255",
    ),
    api(
        "encode-empty-batch",
        IMAGES,
        lambda env: env.vae.encode(zeros(0, *SHAPE)),
        ValueError,
        r"batch >= 1\. Received shape \(0, 16, 16, 1\)",
    ),
    api(
        "cvae-encode-wrong-size",
        IMAGES,
        lambda env: env.cvae.encode(zeros(2, 32, 32, 1), [0, 1]),
        ValueError,
        r"\(batch, 16, 16, 1\).*\(2, 32, 32, 1\)",
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
    # === Arguments of the wrong type or out of range ===
    api(
        "vae-beta-not-a-number",
        ARGUMENT,
        lambda env: VAE(SHAPE, beta="abc"),
        ValueError,
        r"`beta` must be a number >= 0\. Received: 'abc'",
    ),
    api(
        "dcgan-ema-decay-of-one",
        ARGUMENT,
        lambda env: DCGAN(SHAPE, latent_dim=4, ema_decay=1),
        ValueError,
        r"`ema_decay` must be a number in \[0, 1\)\. Received: 1",
    ),
    api(
        "wgan-gp-negative-penalty-weight",
        ARGUMENT,
        lambda env: models.WGANGP(SHAPE, latent_dim=4, gp_weight=-1.0),
        ValueError,
        r"`gp_weight` must be a number >= 0\. Received: -1\.0",
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
        lambda env: env.cvae.encode(zeros(2, *SHAPE), [0, 3]),
        ValueError,
        r"`labels` must be in \[0, 3\)",
    ),
    api(
        "cgan-fit-label-too-big",
        LABELS,
        lambda env: env.cgan.fit(labelled(), np.full(8, 5), verbose=0),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from 5 to 5",
    ),
    api(
        "cgan-fit-negative-label",
        LABELS,
        lambda env: env.cgan.fit(labelled(), np.full(8, -1), verbose=0),
        ValueError,
        r"`labels` must be in \[0, 3\)\. Received values from -1 to -1",
    ),
    api(
        "cvae-fit-label-too-big",
        LABELS,
        lambda env: env.cvae.fit(
            labelled(), np.full((8, 1), NUM_CLASSES), verbose=0
        ),
        ValueError,
        r"`labels` must be in \[0, 3\)",
    ),
    api(
        "vae-generate-with-labels",
        LABELS,
        lambda env: env.vae.generate(num_images=2, labels=[0, 1]),
        ValueError,
        "This VAE is unconditional and takes no `labels`; build it with "
        "`num_classes`",
    ),
    api(
        "vae-encode-with-labels",
        LABELS,
        lambda env: env.vae.encode(zeros(2, *SHAPE), [0, 1]),
        ValueError,
        "This VAE is unconditional and takes no `labels`",
    ),
    api(
        "cvae-encode-without-labels",
        LABELS,
        lambda env: env.cvae.encode(labelled()),
        ValueError,
        "This VAE is conditional: pass `labels`, one class index per image",
    ),
    api(
        "cvae-losses-without-labels",
        LABELS,
        lambda env: env.cvae.compute_losses(labelled()),
        ValueError,
        "This VAE is conditional: pass `labels`, one class index per image",
    ),
    api(
        "cgan-fit-without-labels",
        LABELS,
        lambda env: env.cgan.fit(labelled(), verbose=0),
        ValueError,
        "conditional DCGAN trains on labelled data",
    ),
    # === Unknown model or data names ===
    api(
        "unknown-model",
        NAMES,
        lambda env: models.get("stylegan", image_shape=SHAPE),
        ValueError,
        "Unknown model 'stylegan'. Expected one of: cgan, cvae, dcgan",
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
    # === A serving request with the wrong width of z ===
    api(
        "keras-z-too-wide",
        SERVING,
        lambda env: env.vae.generate(z=zeros(2, LATENT_DIM + 1)),
        ValueError,
        r"Latent vectors must have shape \(batch, 4\).*\(2, 5\)",
    ),
]
