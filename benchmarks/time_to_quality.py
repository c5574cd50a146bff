"""Time to quality: how long our DCGAN and the tutorial loop need on MNIST.

Trains, from the same seed, the zoo's DCGAN with its defaults (`model.fit`,
batch 32, Adam(2e-4, beta_1=0.5)), in float32 and in mixed bfloat16 (the
same final quality is the condition for bfloat16 to be worth its speed),
and the TensorFlow DCGAN tutorial's loop
with the tutorial's hyper-parameters (batch 256, Adam(1e-4) for both
networks) on the same networks, on the MNIST copy. After every epoch the
clock stops, 2,000 samples are drawn and their Fréchet classifier
distance (FCD: FID over the penultimate features of a digit classifier
trained on the same data, `keras_genimg.metrics`) to the real digits is
computed. Reported: the training wall-clock time each needs to reach the
FCD threshold, and the curve of FCD against time.

    python benchmarks/time_to_quality.py [--threshold 15] [--minutes 10]
        [--contestants ours ours_bf16 tutorial]
"""

import argparse
import time
from pathlib import Path

import keras
import tensorflow as tf
import tutorial_loops

import keras_genimg  # noqa: F401  (registers the models)
from keras_genimg.data import load_arrays, load_images
from keras_genimg.metrics import (
    frechet_distance_from_features,
    judge_extractor,
    train_judge,
)
from keras_genimg.models import DCGAN, dtype_policy_scope

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
NUM_SAMPLES = 2000
TUTORIAL_BATCH = 256
LATENT_DIM = 100


class Ours:
    name = "ours (DCGAN defaults)"
    policy = None

    def __init__(self, images):
        keras.utils.set_random_seed(0)
        with dtype_policy_scope(self.policy):
            self.model = DCGAN(images.shape[1:], latent_dim=LATENT_DIM, seed=0)
            self.model.compile()
        self.dataset = load_images(images, batch_size=32, seed=0)

    def train_epoch(self):
        self.model.fit(self.dataset, epochs=1, shuffle=False, verbose=0)

    def samples(self):
        return self.model.generate(NUM_SAMPLES, seed=1)


class OursBfloat16(Ours):
    name = "ours, mixed bfloat16"
    policy = "mixed_bfloat16"


class Tutorial:
    name = "tutorial loop"

    def __init__(self, images):
        keras.utils.set_random_seed(0)
        self.model = DCGAN(images.shape[1:], latent_dim=LATENT_DIM, seed=0)
        self.step = tutorial_loops.dcgan_tutorial_step(
            self.model.generator,
            self.model.discriminator,
            LATENT_DIM,
            TUTORIAL_BATCH,
        )
        scaled = images * 2.0 - 1.0  # the tutorial's [-1, 1]
        self.dataset = tutorial_loops.tutorial_pipeline(
            scaled, TUTORIAL_BATCH
        ).filter(lambda x: tf.shape(x)[0] == TUTORIAL_BATCH)

    def train_epoch(self):
        for batch in self.dataset:
            self.step(batch)

    def samples(self):
        return self.model.generate(NUM_SAMPLES, seed=1)


CONTESTANTS = {"ours": Ours, "ours_bf16": OursBfloat16, "tutorial": Tutorial}


def race(contestant, reference, extractor, threshold, budget_seconds):
    elapsed, curve = 0.0, []
    while elapsed < budget_seconds:
        start = time.perf_counter()
        contestant.train_epoch()
        elapsed += time.perf_counter() - start
        generated = extractor.extract(contestant.samples()).features
        fcd = frechet_distance_from_features(reference, generated)
        curve.append((elapsed, fcd))
        print(f"  {contestant.name}: {elapsed:6.0f} s, FCD {fcd:7.2f}")
        if fcd <= threshold:
            return elapsed, curve
    return None, curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--threshold", type=float, default=15.0)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--contestants",
        nargs="+",
        choices=sorted(CONTESTANTS),
        default=list(CONTESTANTS),
    )
    args = parser.parse_args()

    x, y = load_arrays(args.data, with_labels=True)
    judge, accuracy = train_judge(x, y, seed=0)
    extractor = judge_extractor(judge)
    reference = extractor.extract(x).features
    print(f"judge accuracy on held-out digits: {accuracy:.3f}")
    results = {}
    for key in args.contestants:
        contestant = CONTESTANTS[key](x)
        results[contestant.name] = race(
            contestant, reference, extractor, args.threshold, args.minutes * 60
        )
    print(f"\ntime to FCD <= {args.threshold} (budget {args.minutes} min)")
    times = {}
    for name, (seconds, curve) in results.items():
        best = min(fcd for _, fcd in curve)
        shown = f"{seconds:.0f} s" if seconds else "not reached"
        print(f"{name:24} {shown:>12}   best FCD {best:.2f}")
        times[name] = seconds
    tutorial = times.get(Tutorial.name)
    for name, seconds in times.items():
        if name != Tutorial.name and seconds and tutorial:
            print(f"{name} / tutorial time: {seconds / tutorial:.2f}")


if __name__ == "__main__":
    main()
