"""Time to quality: how long each GAN setup needs for good MNIST digits.

Trains each contestant from the same seed on the MNIST copy and, after
an epoch (once at least `--every` seconds of training have passed since
the last look), stops the clock, draws samples and computes their Fréchet
classifier distance (FCD: FID over the penultimate features of a digit
classifier trained on the same data, `keras_genimg.metrics`) to the real
digits; for a conditional model also how often the judge reads the class
that was asked for, and for a VAE its reconstruction error. Reported: the
training wall-clock time each needs to reach each FCD threshold, the best
FCD within the budget, and a plot of FCD against seconds, one line per
contestant (a panel per data size: 10,000 images, 1,000, ...).

The contestants: the zoo's DCGAN as it was (no weight average), with its
defaults now (EMA generator), in mixed bfloat16; the SNGAN (hinge loss,
spectral norm) with and without EMA; the WGAN-GP with and without EMA;
the conditional GAN and SNGAN; on 1,000 images only (`--limit 1000`), the
DCGAN and the SNGAN with and without DiffAugment; the VAE and the CVAE
(best run with `--epochs 10`); and the TensorFlow DCGAN tutorial's loop
with the tutorial's settings (batch 256, Adam(1e-4)) on the DCGAN's
networks.

A contestant may also be a zoo model with other options,
`MODEL:KEY=VALUE,...` (`vae:batch_size=64`, `cvae:beta=1.0`).

`--json FILE` keeps the curves across runs: a run adds its contestants
to those already in the file, and `--plot` draws them all, so the
contestants can be raced a few at a time.

    python benchmarks/time_to_quality.py [--minutes 10] [--epochs N]
        [--samples 5000] [--every 15] [--thresholds 15 10 7]
        [--contestants dcgan_no_ema dcgan ...] [--json curves.json]
        [--plot benchmarks/time_to_quality.png]
"""

import argparse
import ast
import json
import time
from pathlib import Path

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import tensorflow as tf  # noqa: E402
import tutorial_loops  # noqa: E402

import keras_genimg  # noqa: E402, F401  (registers the models)
from keras_genimg import models  # noqa: E402
from keras_genimg.callbacks import PriorFit  # noqa: E402
from keras_genimg.cli.train import PRIOR_IMAGES  # noqa: E402
from keras_genimg.data import load_arrays, load_images  # noqa: E402
from keras_genimg.metrics import (  # noqa: E402
    frechet_distance_from_features,
    judge_extractor,
    train_judge,
)

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
TUTORIAL_BATCH = 256
SMALL_DATA = 1000
RECONSTRUCTED = 512  # the first images, as examples/train_vae.py reports


class ZooContestant:
    """A zoo model trained with `fit`, as `genimg train` trains it.

    `learning_rate` sets that of `model.optimizer` (the VAE's, or a GAN's
    generator's) and `d_learning_rate` that of a GAN's adversary (TTUR),
    in the model's default optimizers; other options go to the model.
    """

    def __init__(
        self,
        name,
        model_name,
        limit=None,
        policy=None,
        batch_size=None,
        learning_rate=None,
        d_learning_rate=None,
        **options,
    ):
        self.name = name
        self.learning_rate = learning_rate
        self.d_learning_rate = d_learning_rate
        self.model_name = model_name
        self.limit = limit
        self.policy = policy
        self.batch_size = batch_size
        self.options = options

    def start(self, images, labels):
        keras.utils.set_random_seed(0)
        entry = models.entry(self.model_name)
        images, labels = images[: self.limit], labels[: self.limit]
        self.num_images = len(images)
        with models.dtype_policy_scope(self.policy):
            self.model = models.get(
                self.model_name,
                image_shape=images.shape[1:],
                **{"latent_dim": entry.latent_dim, "seed": 0, **self.options},
            )
            self.model.compile()
        if self.learning_rate is not None:
            self.model.optimizer.learning_rate = self.learning_rate
        if self.d_learning_rate is not None:
            self.model.adversary_optimizer.learning_rate = self.d_learning_rate
        self.dataset = load_images(
            (images, labels),
            batch_size=self.batch_size or entry.batch_size,
            with_labels=self.model.is_conditional,
            seed=0,
        )
        self.reconstructed = (images[:RECONSTRUCTED], labels[:RECONSTRUCTED])
        # As `genimg train` does: a VAE's prior refitted after every epoch.
        self.callbacks = []
        if self.model.latent_prior is not None:
            conditional = self.model.is_conditional
            fitted = labels[:PRIOR_IMAGES] if conditional else None
            self.callbacks = [PriorFit(images[:PRIOR_IMAGES], fitted)]

    def train_epoch(self):
        self.model.fit(
            self.dataset,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=self.callbacks,
        )

    def samples(self, count):
        """`(images, labels)`: samples, and the classes asked for (None
        for an unconditional model)."""
        labels = None
        if self.model.is_conditional:
            labels = np.arange(count) % self.model.num_classes
        return self.model.generate(count, seed=1, labels=labels), labels

    def reconstruction_mse(self):
        """Per-pixel MSE of the first images' reconstructions (VAEs)."""
        if not self.model.is_autoencoder:
            return None
        images, labels = self.reconstructed
        if not self.model.is_conditional:
            labels = None
        return float(
            np.mean((self.model.reconstruct(images, labels) - images) ** 2)
        )


class Tutorial:
    """The TensorFlow DCGAN tutorial's loop, on the zoo DCGAN's networks."""

    name = "DCGAN, tutorial loop"

    def start(self, images, labels):
        keras.utils.set_random_seed(0)
        self.num_images = len(images)
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
        return self.model.generate(count, seed=1), None

    def reconstruction_mse(self):
        return None


def _small(name, model_name, **options):
    return ZooContestant(name, model_name, limit=SMALL_DATA, **options)


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
    "cgan": ZooContestant("cGAN (EMA)", "cgan"),
    "sngan_conditional": ZooContestant(
        "conditional SNGAN (EMA)", "sngan", num_classes=10
    ),
    "dcgan_1k": _small("DCGAN, 1k images", "dcgan"),
    "dcgan_1k_diffaug": _small(
        "DCGAN, 1k images, DiffAugment", "dcgan", diff_augment=True
    ),
    "sngan_1k": _small("SNGAN, 1k images", "sngan"),
    "sngan_1k_diffaug": _small(
        "SNGAN, 1k images, DiffAugment", "sngan", diff_augment=True
    ),
    "vae": ZooContestant("VAE", "vae"),
    "cvae": ZooContestant("CVAE", "cvae"),
    "tutorial": Tutorial(),
}


def contestant_of(spec):
    """A `ZooContestant` from `MODEL:KEY=VALUE,...` (values are Python
    literals; `batch_size`, `limit`, `policy` and the learning rates go to
    the training, the rest to the model)."""
    model_name, _, options = spec.partition(":")
    pairs = [item.split("=", 1) for item in options.split(",") if item]
    kwargs = {key: ast.literal_eval(value) for key, value in pairs}
    return ZooContestant(spec, model_name, **kwargs)


def contestant_spec(spec):
    """Checks a `--contestants` entry; returns it."""
    if spec not in CONTESTANTS:
        try:
            contestant_of(spec)
            models.entry(spec.partition(":")[0])
        except (ValueError, SyntaxError) as err:
            raise argparse.ArgumentTypeError(
                f"{spec!r}: not one of {', '.join(CONTESTANTS)}, nor "
                f"MODEL:KEY=VALUE,... ({err})"
            ) from err
    return spec


def judge_of(data):
    """Loads the data and trains the judge on it.

    Returns:
        `(images, labels, extractor, reference)`: the images and labels,
        the judge's feature extractor and the features of the images.
    """
    x, y = load_arrays(data, with_labels=True)
    judge, accuracy = train_judge(x, y, seed=0)
    extractor = judge_extractor(judge)
    print(f"judge accuracy on held-out digits: {accuracy:.3f}")
    return x, y, extractor, extractor.extract(x).features


def race(contestant, reference, extractor, args):
    """Trains epoch by epoch within the budget; returns the FCD curve.

    Returns:
        A list of `[seconds, fcd, asked_class_accuracy, reconstruction_mse]`
        rows, one per look; the last two are None where they do not apply.
    """
    budget, elapsed, looked, epochs, curve = args.minutes * 60, 0.0, 0.0, 0, []
    while elapsed < budget and epochs < (args.epochs or float("inf")):
        start = time.perf_counter()
        contestant.train_epoch()
        elapsed += time.perf_counter() - start
        epochs += 1
        last = elapsed >= budget or epochs == args.epochs
        if elapsed - looked < args.every and not last:
            continue
        looked = elapsed
        images, labels = contestant.samples(args.samples)
        result = extractor.extract(np.clip(images, 0.0, 1.0))
        fcd = frechet_distance_from_features(reference, result.features)
        accuracy = None
        if labels is not None:
            predicted = result.probabilities.argmax(axis=1)
            accuracy = float(np.mean(predicted == labels))
        mse = contestant.reconstruction_mse()
        curve.append([elapsed, fcd, accuracy, mse])
        extra = "" if accuracy is None else f", asked class {accuracy:.3f}"
        extra += "" if mse is None else f", reconstruction MSE {mse:.4f}"
        print(f"  {contestant.name}: epoch {epochs}, {elapsed:6.0f} s, "
              f"FCD {fcd:7.2f}{extra}", flush=True)  # fmt: skip
    return curve


def time_to(curve, threshold):
    """Seconds of training until the FCD first reached `threshold`."""
    return next((row[0] for row in curve if row[1] <= threshold), None)


def plot(runs, path):
    """FCD against seconds, one panel per number of training images."""
    panels = sorted({run["images"] for run in runs.values()}, reverse=True)
    figure, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels), 4.5), squeeze=False
    )
    for axis, images in zip(axes[0], panels):
        for name, run in runs.items():
            if run["images"] == images:
                seconds, fcds = zip(*[row[:2] for row in run["curve"]])
                axis.plot(seconds, fcds, marker=".", label=name)
        axis.set(
            xlabel="training seconds (2 CPU cores)",
            ylabel="judge FCD",
            yscale="log",
            title=f"FCD against training time, {images:,} MNIST digits",
        )
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def report(runs, thresholds, minutes):
    header = "".join(f"  to FCD {t:g}" for t in thresholds)
    print(f"\n{'contestant':34}{header}  best FCD ({minutes:g} min)"
          "  asked class  recon. MSE")  # fmt: skip
    for name, run in runs.items():
        curve = run["curve"]
        times = [time_to(curve, t) for t in thresholds]
        shown = "".join(
            f"{'-' if s is None else f'{s:.0f} s':>12}" for s in times
        )
        _, _, accuracy, mse = curve[-1]
        print(
            f"{name:34}{shown}  {min(row[1] for row in curve):10.2f}"
            f"  {'-' if accuracy is None else f'{accuracy:.3f}':>11}"
            f"  {'-' if mse is None else f'{mse:.4f}':>10}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--epochs", type=int, help="stop after this many epochs too"
    )
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument(
        "--every",
        type=float,
        default=15.0,
        help="seconds of training at least between two looks",
    )
    parser.add_argument(
        "--thresholds", type=float, nargs="+", default=[15.0, 10.0, 7.0]
    )
    parser.add_argument(
        "--contestants", nargs="+", type=contestant_spec,
        default=list(CONTESTANTS),
        help="names of CONTESTANTS, or MODEL:KEY=VALUE,... for a zoo model "
        "with other options, e.g. vae:batch_size=64,beta=0.7",
    )  # fmt: skip
    parser.add_argument("--plot", help="write the FCD curves to this PNG")
    parser.add_argument(
        "--json", help="add the curves to this file (kept across runs)"
    )
    args = parser.parse_args()

    x, y, extractor, reference = judge_of(args.data)
    runs = {}
    for key in args.contestants:
        contestant = CONTESTANTS.get(key) or contestant_of(key)
        contestant.start(x, y)
        curve = race(contestant, reference, extractor, args)
        runs[contestant.name] = {
            "images": contestant.num_images,
            "curve": curve,
        }
    report(runs, args.thresholds, args.minutes)
    if args.json:
        path = Path(args.json)
        every_run = json.loads(path.read_text()) if path.exists() else {}
        every_run.update(runs)
        path.write_text(json.dumps(every_run, indent=1))
        runs = every_run
    if args.plot:
        plot(runs, args.plot)
        print(f"Wrote {args.plot}")


if __name__ == "__main__":
    main()
