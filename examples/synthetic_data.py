"""Does generated data help a classifier trained on few real images?

Splits the MNIST images in ../shared/data/mnist (the 10,000-image test
split) into a pool (the first 8,000) and a held-out test set (the last
2,000). A small CNN is trained, for the same number of steps, on

  (a) a small real subset of the pool (REAL_PER_CLASS images per class),
  (b) that subset plus generated images (`keras_genimg.data.mix`),
  (c) the generated images alone (the "classification accuracy score" of
      Ravuri & Vinyals, 2019: how well the samples stand in for data),
  (d) the whole pool, for reference: every labelled image the generator
      learned from, which (b) and (c) see only through its samples,

and its accuracy on the 2,000 test images is printed for each. The
generated images come from a conditional model trained on the pool only,
never on the test images:

    genimg train cgan --data ../shared/data/mnist --limit 8000 \\
        --epochs 12 --out runs/cgan_pool
    genimg synthesize --model runs/cgan_pool --per-class 1000 \\
        --out runs/synthetic.npz
    python examples/synthetic_data.py runs/synthetic.npz [REAL_PER_CLASS]

(or `genimg train cvae ... --epochs 20 --out runs/cvae_pool`). The real
subset has 10 images per class unless REAL_PER_CLASS says otherwise.
"""

import sys
from pathlib import Path

import keras
import numpy as np

from keras_genimg.data import load_arrays, mix

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
POOL, TEST = 8000, 2000
STEPS = 1000
BATCH_SIZE = 64
RATIOS = (1.0, 5.0, 25.0)
SEEDS = (0, 1, 2)


def small_subset(x, y, per_class):
    """The first `per_class` images of every class."""
    keep = np.concatenate(
        [np.flatnonzero(y == k)[:per_class] for k in range(10)]
    )
    return x[keep], y[keep]


def classifier(image_shape):
    """A small CNN: two conv blocks and a softmax layer."""
    return keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def test_accuracy(train, test, seed):
    """Trains a fresh classifier for `STEPS` steps; returns its accuracy."""
    keras.utils.set_random_seed(seed)
    x, y = train
    model = classifier(x.shape[1:])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    steps_per_epoch = int(np.ceil(len(x) / BATCH_SIZE))
    model.fit(
        x,
        y,
        batch_size=BATCH_SIZE,
        epochs=int(np.ceil(STEPS / steps_per_epoch)),
        verbose=0,
    )
    return model.evaluate(*test, verbose=0)[1]


def main(synthetic_path, real_per_class):
    if not MNIST.is_dir():
        sys.exit(
            f"This example splits the MNIST digits of {MNIST}, which is "
            "absent: put the MNIST IDX files there."
        )
    x, y = load_arrays(str(MNIST), with_labels=True)
    pool, test = (x[:POOL], y[:POOL]), (x[POOL:], y[POOL:])
    assert len(test[0]) == TEST
    real = small_subset(*pool, real_per_class)
    synthetic = load_arrays(synthetic_path, with_labels=True)
    runs = {f"(a) real only, {len(real[0])} images": lambda seed: real}
    for ratio in RATIOS:
        name = f"(b) real + {ratio:g}x synthetic"
        runs[name] = lambda seed, ratio=ratio: mix(real, synthetic, ratio, seed)
    runs[f"(c) synthetic only, {len(synthetic[0])} images"] = lambda seed: (
        synthetic
    )
    # For reference: all the labelled images the generator learned from.
    runs[f"(d) the whole pool, {POOL} real images"] = lambda seed: pool
    print(f"Test accuracy on {TEST} held-out MNIST images, {STEPS} steps of")
    print(f"{BATCH_SIZE}, mean and spread over seeds {SEEDS}:")
    for name, train in runs.items():
        scores = [test_accuracy(train(seed), test, seed) for seed in SEEDS]
        print(
            f"  {name:<36} {np.mean(scores):.4f} "
            f"(min {min(scores):.4f}, max {max(scores):.4f})"
        )


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "runs/synthetic.npz"
    per_class = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    main(path, per_class)
