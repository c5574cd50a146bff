"""Time to quality: how long each GAN setup needs for good MNIST digits.

Trains each contestant from the same seed on the MNIST copy and, after
every epoch, stops the clock, draws samples and computes their Fréchet
classifier distance (FCD: FID over the penultimate features of a digit
classifier trained on the same data, `keras_genimg.metrics`) to the real
digits. Reported: the training wall-clock time each needs to reach each
FCD threshold, the best FCD within the budget, and a plot of FCD against
seconds, one line per contestant.

The contestants: the zoo's DCGAN as it was (no weight average), with its
defaults now (EMA generator), in mixed bfloat16; the SNGAN (hinge loss,
spectral norm) with and without EMA; the WGAN-GP with and without EMA;
on 1,000 images only (`--limit 1000`), the DCGAN and the SNGAN with and
without DiffAugment; and the TensorFlow DCGAN tutorial's loop with the
tutorial's settings (batch 256, Adam(1e-4)) on the DCGAN's networks.

    python benchmarks/time_to_quality.py [--minutes 10] [--samples 5000]
        [--thresholds 15 10 7] [--contestants dcgan_no_ema dcgan ...]
        [--plot benchmarks/time_to_quality.png]
"""

import argparse
import json
import time
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import tensorflow as tf  # noqa: E402
import tutorial_loops  # noqa: E402

import keras_genimg  # noqa: E402, F401  (registers the models)
from keras_genimg import models  # noqa: E402
from keras_genimg.data import load_arrays, load_images  # noqa: E402
from keras_genimg.metrics import (  # noqa: E402
    frechet_distance_from_features,
    judge_extractor,
    train_judge,
)

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
TUTORIAL_BATCH = 256
SMALL_DATA = 1000


class ZooContestant:
    """A zoo model trained with `fit`, as `genimg train` trains it."""

    def __init__(self, name, model_name, limit=None, policy=None, **options):
        self.name = name
        self.model_name = model_name
        self.limit = limit
        self.policy = policy
        self.options = options

    def start(self, images):
        keras.utils.set_random_seed(0)
        entry = models.entry(self.model_name)
        images = images[: self.limit] if self.limit else images
        with models.dtype_policy_scope(self.policy):
            self.model = models.get(
                self.model_name,
                image_shape=images.shape[1:],
                latent_dim=entry.latent_dim,
                seed=0,
                **self.options,
            )
            self.model.compile()
        self.dataset = load_images(images, batch_size=entry.batch_size, seed=0)

    def train_epoch(self):
        self.model.fit(self.dataset, epochs=1, shuffle=False, verbose=0)

    def samples(self, count):
        return self.model.generate(count, seed=1)


class Tutorial:
    """The TensorFlow DCGAN tutorial's loop, on the zoo DCGAN's networks."""

    name = "DCGAN, tutorial loop"

    def start(self, images):
        keras.utils.set_random_seed(0)
        self.model = models.DCGAN(images.shape[1:], seed=0, use_ema=False)
        self.step = tutorial_loops.dcgan_tutorial_step(
            self.model.generator,
            self.model.discriminator,
            self.model.latent_dim,
            TUTORIAL_BATCH,
        )
        scaled = images * 2.0 - 1.0  # the tutorial's [-1, 1]
        self.dataset = tutorial_loops.tutorial_pipeline(
            scaled, TUTORIAL_BATCH
        ).filter(lambda x: tf.shape(x)[0] == TUTORIAL_BATCH)

    def train_epoch(self):
        for batch in self.dataset:
            self.step(batch)

    def samples(self, count):
        return self.model.generate(count, seed=1)


CONTESTANTS = {
    "dcgan_no_ema": ZooContestant("DCGAN, no EMA", "dcgan", use_ema=False),
    "dcgan": ZooContestant("DCGAN (EMA, default)", "dcgan"),
    "dcgan_bf16": ZooContestant(
        "DCGAN, mixed bfloat16", "dcgan", policy="mixed_bfloat16"
    ),
    "sngan_no_ema": ZooContestant("SNGAN, no EMA", "sngan", use_ema=False),
    "sngan": ZooContestant("SNGAN (EMA)", "sngan"),
    "wgan_gp_no_ema": ZooContestant(
        "WGAN-GP, no EMA", "wgan_gp", use_ema=False
    ),
    "wgan_gp": ZooContestant("WGAN-GP (EMA)", "wgan_gp"),
    "dcgan_1k": ZooContestant("DCGAN, 1k images", "dcgan", limit=SMALL_DATA),
    "dcgan_1k_diffaug": ZooContestant(
        "DCGAN, 1k images, DiffAugment",
        "dcgan",
        limit=SMALL_DATA,
        diff_augment=True,
    ),  # fmt: skip
    "sngan_1k": ZooContestant("SNGAN, 1k images", "sngan", limit=SMALL_DATA),
    "sngan_1k_diffaug": ZooContestant(
        "SNGAN, 1k images, DiffAugment",
        "sngan",
        limit=SMALL_DATA,
        diff_augment=True,
    ),  # fmt: skip
    "tutorial": Tutorial(),
}


def judge_of(data):
    """Loads the data and trains the judge on it.

    Returns:
        `(images, extractor, reference)`: the images, the judge's feature
        extractor and the features of the images.
    """
    x, y = load_arrays(data, with_labels=True)
    judge, accuracy = train_judge(x, y, seed=0)
    extractor = judge_extractor(judge)
    print(f"judge accuracy on held-out digits: {accuracy:.3f}")
    return x, extractor, extractor.extract(x).features


def race(contestant, reference, extractor, samples, budget_seconds):
    """Trains epoch by epoch within the budget; returns the FCD curve."""
    elapsed, curve = 0.0, []
    while elapsed < budget_seconds:
        start = time.perf_counter()
        contestant.train_epoch()
        elapsed += time.perf_counter() - start
        generated = extractor.extract(contestant.samples(samples)).features
        fcd = frechet_distance_from_features(reference, generated)
        curve.append((elapsed, fcd))
        print(f"  {contestant.name}: {elapsed:6.0f} s, FCD {fcd:7.2f}")
    return curve


def time_to(curve, threshold):
    """Seconds of training until the FCD first reached `threshold`."""
    return next((t for t, fcd in curve if fcd <= threshold), None)


def plot(curves, path):
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, curve in curves.items():
        seconds, fcds = zip(*curve)
        axes.plot(seconds, fcds, marker=".", label=name)
    axes.set(
        xlabel="training seconds (2 CPU cores)",
        ylabel="judge FCD",
        yscale="log",
        title="FCD against training time, MNIST",
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[15.0, 10.0, 7.0]
    )
    parser.add_argument(
        "--contestants", nargs="+", choices=list(CONTESTANTS),
        default=list(CONTESTANTS),
    )  # fmt: skip
    parser.add_argument("--plot", help="write the FCD curves to this PNG")
    parser.add_argument("--json", help="write the FCD curves to this file")
    args = parser.parse_args()

    x, extractor, reference = judge_of(args.data)
    curves = {}
    for key in args.contestants:
        contestant = CONTESTANTS[key]
        contestant.start(x)
        curves[contestant.name] = race(
            contestant, reference, extractor, args.samples, args.minutes * 60
        )

    header = "".join(f"  to FCD {t:g}" for t in args.thresholds)
    print(f"\n{'contestant':34}{header}  best FCD ({args.minutes:g} min)")
    for name, curve in curves.items():
        times = [time_to(curve, t) for t in args.thresholds]
        shown = "".join(
            f"{'-' if s is None else f'{s:.0f} s':>12}" for s in times
        )
        print(f"{name:34}{shown}  {min(f for _, f in curve):10.2f}")
    if args.plot:
        plot(curves, args.plot)
        print(f"Wrote {args.plot}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(curves, f, indent=1)


if __name__ == "__main__":
    main()
