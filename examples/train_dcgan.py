"""Train a DCGAN on MNIST digits and watch samples improve.

Uses the MNIST IDX files in ../shared/data/mnist when present, else the
built-in "shapes" (or any source given as the first argument: "mnist",
"shapes", a folder, ...).

    python examples/train_dcgan.py [SOURCE] [EPOCHS]
"""

import sys
from pathlib import Path

import keras

from keras_genimg.callbacks import HistoryJSON, SampleGrid
from keras_genimg.data import load_images
from keras_genimg.models import DCGAN

# The MNIST copy beside the checkout when present, else the built-in shapes.
mnist = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
default = str(mnist) if mnist.is_dir() else "shapes"
source = sys.argv[1] if len(sys.argv) > 1 else default
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
out = Path("runs/example_dcgan")

# Data: a shuffled, batched tf.data pipeline of float32 images in [0, 1].
dataset = load_images(source, batch_size=64, seed=0)
image_shape = tuple(dataset.element_spec.shape[1:])

# Model: one optimizer for each network.
gan = DCGAN(image_shape=image_shape, latent_dim=100, seed=0)
gan.compile(
    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
)
gan.fit(
    dataset,
    epochs=epochs,
    callbacks=[
        SampleGrid(out / "samples", num_images=64, seed=0),
        HistoryJSON(out / "history.json"),
    ],
)
gan.save(out / "dcgan.keras")
print(f"Sample grids in {out / 'samples'}")
