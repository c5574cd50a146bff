"""The README's first command: which model, in about 3 minutes, draws
shapes a person recognises?

Runs `genimg train MODEL --data DATA --epochs E` on built-in shapes (as
the README's first command does, in this process; DATA is `shapes` or
`simple-shapes`) for each candidate, times it, and judges 500 samples
with a small classifier trained on that source's train split
(`keras_genimg.metrics.train_judge`; its accuracy on held-out shapes is
printed): the Fréchet classifier distance (FCD) to 1,000 real shapes,
the share of each shape among the samples (the data has 20% of each),
how confident the judge is, and, for conditional models, how often a
sample is the shape it was asked for.

    python benchmarks/first_command.py [--data simple-shapes]
        [--candidates dcgan:5 cgan:5 ...] [--json results.json]
        [--grids DIR]

A candidate is `MODEL:EPOCHS`, optionally with more `genimg train` options
as `MODEL:EPOCHS:OPTION=VALUE,...` (e.g. `dcgan:8:batch-size=64` or
`dcgan:5:image-size=16`; smaller samples are scaled up to 32x32 for the
judge).
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_genimg.cli.main import main as genimg
from keras_genimg.data import load_arrays
from keras_genimg.data.shapes import SHAPE_CLASSES, SOURCES
from keras_genimg.metrics import (
    frechet_distance_from_features,
    judge_extractor,
    train_judge,
)
from keras_genimg.models import load_model

SAMPLES = 500
REAL_SIZE = (32, 32)


def judge_shapes(source, epochs):
    """A shapes classifier trained on the train split of `source` and the
    first half of its test split, its accuracy measured on the second
    half, and its extractor; the held-out half is the real reference."""
    x, y = load_arrays(source, split="train", with_labels=True)
    x_test, y_test = load_arrays(source, split="test", with_labels=True)
    judge, accuracy = train_judge(
        np.concatenate([x, x_test]),
        np.concatenate([y, y_test]),
        epochs=epochs,
        holdout=(len(x_test) // 2) / (len(x) + len(x_test)),
        seed=0,
    )
    print(f"judge accuracy on held-out real shapes: {accuracy:.3f}")
    return judge_extractor(judge), x_test[len(x_test) // 2 :]


def score(model_path, extractor, real_features):
    model = load_model(model_path, compile=False)
    labels = None
    if model.is_conditional:
        labels = np.arange(SAMPLES) % model.num_classes
    images = model.generate(num_images=SAMPLES, seed=123, labels=labels)
    if images.shape[1:3] != REAL_SIZE:
        images = tf.image.resize(images, REAL_SIZE, antialias=True).numpy()
    result = extractor.extract(np.clip(images, 0.0, 1.0))
    predicted = result.probabilities.argmax(axis=1)
    shares = np.bincount(predicted, minlength=len(SHAPE_CLASSES)) / SAMPLES
    scores = {
        "fcd": frechet_distance_from_features(real_features, result.features),
        "shares": dict(zip(SHAPE_CLASSES, np.round(shares, 3).tolist())),
        "confidence": float(result.probabilities.max(axis=1).mean()),
    }
    if labels is not None:
        scores["asked_shape_accuracy"] = float(np.mean(predicted == labels))
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--candidates",
        nargs="+",
        default=["dcgan:5", "cgan:5"],
        help="MODEL:EPOCHS pairs",
    )
    parser.add_argument(
        "--data",
        choices=list(SOURCES),
        default="simple-shapes",
        help="the built-in data to train and judge on",
    )
    parser.add_argument(
        "--judge-epochs", type=int, default=10, help="epochs of the judge"
    )
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--grids", help="copy the last sample grids here")
    args = parser.parse_args()

    extractor, real = judge_shapes(args.data, args.judge_epochs)
    real_features = extractor.extract(real).features
    results = {}
    for candidate in args.candidates:
        name, epochs, *options = candidate.split(":", 2)
        extra = []
        for option in options[0].split(",") if options else []:
            flag, value = option.split("=")
            extra += [f"--{flag}", value]
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            genimg(["train", name, "--data", args.data, "--epochs", epochs,
                    "--out", out, "--verbose", "0", *extra])  # fmt: skip
            seconds = time.perf_counter() - start
            results[candidate] = dict(
                seconds=round(seconds, 1),
                **score(out, extractor, real_features),
            )
            if args.grids:
                grids = sorted(Path(out, "samples").glob("epoch_*.png"))
                label = candidate.replace(":", "_").replace(",", "_")
                target = Path(args.grids) / f"first_{label}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(grids[-1].read_bytes())
        print(candidate, json.dumps(results[candidate]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
