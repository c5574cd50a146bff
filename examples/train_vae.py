"""Train a convolutional VAE on MNIST digits and watch samples improve.

Uses the MNIST IDX files in ../shared/data/mnist when present, else the
built-in "shapes" (or any source given as the first argument: "mnist",
"shapes", a folder, ...).

    python examples/train_vae.py [SOURCE] [EPOCHS]
"""

import sys
from pathlib import Path

import numpy as np

from keras_genimg.callbacks import HistoryJSON, PriorFit, SampleGrid
from keras_genimg.data import load_arrays, load_images
from keras_genimg.models import VAE, entry

# The MNIST copy beside the checkout when present, else the built-in shapes.
mnist = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
default = str(mnist) if mnist.is_dir() else "shapes"
source = sys.argv[1] if len(sys.argv) > 1 else default
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
out = Path("runs/example_vae")

# The batch and latent sizes and the options (a fitted 10-component prior)
# `genimg train vae` uses, from the registry.
defaults = entry("vae")

# Data: a shuffled, batched tf.data pipeline of float32 images in [0, 1].
dataset = load_images(source, batch_size=defaults.batch_size, seed=0)
first, _ = load_arrays(source, limit=10_000)  # the prior is fitted to these
held_out = first[:512]
image_shape = tuple(dataset.element_spec.shape[1:])

# Model: build, compile, fit.
vae = VAE(
    image_shape=image_shape,
    latent_dim=defaults.latent_dim,
    seed=0,
    **defaults.options,
)
vae.compile()
vae.fit(
    dataset,
    epochs=epochs,
    callbacks=[
        PriorFit(first),  # before the grids, which then sample from it
        SampleGrid(out / "samples", reconstruction_images=held_out[:32]),
        HistoryJSON(out / "history.json"),
    ],
)
vae.save(out / "vae.keras")

mse = np.mean((vae.reconstruct(held_out) - held_out) ** 2)
print(f"Per-pixel reconstruction MSE: {mse:.4f}")
print(f"Sample grids in {out / 'samples'}")
