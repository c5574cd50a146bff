"""Quality of trained models on MNIST: reconstruction error and class coverage.

Trains a small digit classifier on 8,000 images of the MNIST copy, checks
its accuracy on the other 2,000, then classifies generated samples: a model
that makes recognisable digits of every class gets confident predictions
spread over all ten classes. For a VAE it also reports the per-pixel MSE of
reconstructions of the 2,000 held-out images.

    genimg train vae --data ../shared/data/mnist --epochs 10 --out runs/vae
    genimg train dcgan --data ../shared/data/mnist --epochs 15 --out runs/dcgan
    python benchmarks/mnist_quality.py runs/vae runs/dcgan
"""

import argparse
from pathlib import Path

import keras
import numpy as np

import keras_genimg  # noqa: F401  (registers the models for load_model)
from keras_genimg.data import load_arrays

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
NUM_SAMPLES = 2000
CONFIDENT = 0.9


def train_classifier(x, y):
    keras.utils.set_random_seed(0)
    classifier = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    classifier.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    classifier.fit(x, y, batch_size=128, epochs=8, verbose=0)
    return classifier


def report_samples(name, model, classifier):
    samples = model.generate(NUM_SAMPLES, seed=123)
    probs = classifier.predict(samples, verbose=0)
    counts = np.bincount(probs.argmax(1), minlength=10)
    confident = np.mean(probs.max(1) > CONFIDENT)
    print(f"{name}: classes of {NUM_SAMPLES} samples: {counts.tolist()}")
    print(
        f"{name}: classes present: {np.sum(counts > 0)}/10, smallest share "
        f"{counts.min() / NUM_SAMPLES:.1%}, confidently classified "
        f"(p > {CONFIDENT}): {confident:.1%}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders of genimg train")
    parser.add_argument("--data", default=str(MNIST))
    args = parser.parse_args()

    x, y = load_arrays(args.data, with_labels=True)
    classifier = train_classifier(x[:8000], y[:8000])
    _, accuracy = classifier.evaluate(x[8000:], y[8000:], verbose=0)
    print(f"classifier accuracy on 2,000 held-out digits: {accuracy:.3f}")
    held_out = x[8000:]
    for run in args.runs:
        model = keras.models.load_model(Path(run) / "model.keras")
        name = f"{type(model).__name__} ({run})"
        if hasattr(model, "reconstruct"):
            mse = np.mean((model.reconstruct(held_out) - held_out) ** 2)
            print(f"{name}: per-pixel reconstruction MSE {mse:.4f}")
        report_samples(name, model, classifier)


if __name__ == "__main__":
    main()
