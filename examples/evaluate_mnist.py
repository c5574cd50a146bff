"""Train a DCGAN on MNIST, keep its best epoch by FCD, then measure it.

A small judge classifier is trained on the digits first; its penultimate
features give the Fréchet classifier distance (FCD) that `SampleMetric`
logs as `val_fid` every epoch, so `ModelCheckpoint` keeps the best epoch.
`TensorBoardGrid` writes the sample grid next to the TensorBoard logs.
Uses the MNIST IDX files in ../shared/data/mnist when present, else the
built-in "shapes" (or any labelled source given as the first argument).

    python examples/evaluate_mnist.py [SOURCE] [EPOCHS]
"""

import sys
from pathlib import Path

import keras

from keras_genimg.callbacks import HistoryJSON, SampleMetric, TensorBoardGrid
from keras_genimg.data import load_arrays, load_images
from keras_genimg.metrics import (
    compute_metrics,
    compute_reference,
    judge_extractor,
    train_judge,
)
from keras_genimg.models import DCGAN
from keras_genimg.plots import plot_history

# The MNIST copy beside the checkout when present, else the built-in shapes.
mnist = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
default = str(mnist) if mnist.is_dir() else "shapes"
source = sys.argv[1] if len(sys.argv) > 1 else default
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
out = Path("runs/example_eval")

# The judge: a small classifier of the data set's own classes.
x, y = load_arrays(source, with_labels=True)
judge, accuracy = train_judge(x, y, epochs=5, holdout=0.2)
print(f"Judge accuracy on the held-out 20%: {accuracy:.3f}")
extractor = judge_extractor(judge)

# Training, with the FCD of 1,000 fixed samples logged every epoch.
gan = DCGAN(image_shape=x.shape[1:], latent_dim=100, seed=0)
gan.compile()
gan.fit(
    load_images(source, batch_size=32, seed=0),
    epochs=epochs,
    shuffle=False,  # the data set shuffles itself
    callbacks=[
        SampleMetric(x[:2000], extractor, metric="fid", num_images=1000),
        keras.callbacks.ModelCheckpoint(
            out / "best.keras",
            monitor="val_fid",
            mode="min",
            save_best_only=True,
        ),
        TensorBoardGrid(out / "logs"),
        HistoryJSON(out / "history.json"),
    ],
)
plot_history(out / "history.json", out / "history.png")

# The best epoch, measured on 10,000 samples against all the data.
best = keras.models.load_model(out / "best.keras")
reference = compute_reference(x, extractor, labels=y)
generated = extractor.extract(best.generate(num_images=10000, seed=0))
result = compute_metrics(reference, generated)
for name in ("fid", "kid", "is", "precision", "recall"):
    print(f"{name:>10}: {result[name]:.4g}")
print(f"class balance: {result['coverage']['balance']:.3f}")
