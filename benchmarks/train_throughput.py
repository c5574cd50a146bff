"""Training throughput: the zoo's models against the tutorials' loops.

For each model at its default size (28x28x1, the MNIST shape), times
training images per second of `model.fit` in several variants (float32,
mixed bfloat16, XLA) and, in the same run, on the same networks and batch
size, the loop the TensorFlow tutorial teaches (see `tutorial_loops.py`).
Repeats are interleaved so that a change in machine load hits every
variant alike; warm-up steps (tracing) are excluded; the table shows
medians and each variant's ratio to the tutorial loop. It also reports how
long the input pipeline alone takes per step, relative to a training step
(an upper bound on the time a step waits for input; prefetching hides it).

    python benchmarks/train_throughput.py [--steps 60] [--repeats 5]
"""

import argparse
import platform
import statistics
import time
from pathlib import Path

import keras
import numpy as np
import tutorial_loops

import keras_genimg  # noqa: F401  (registers the models)
from keras_genimg import models
from keras_genimg.data import load_arrays, load_images
from keras_genimg.models import networks

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
IMAGE_SHAPE = (28, 28, 1)
BATCH_SIZES = {"dcgan": 32, "vae": 64}  # the `genimg train` defaults
LATENT_DIMS = {"dcgan": 100, "vae": 16}
VARIANTS = {
    "float32": {},
    "mixed_bfloat16": {"policy": "mixed_bfloat16"},
    "float32 + XLA": {"jit_compile": True},
}


def mnist_like_images():
    """The MNIST copy when present, else random images of its shape."""
    if MNIST.is_dir():
        images, _ = load_arrays(MNIST)
        return np.round(images * 255).astype("uint8")
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (10_000,) + IMAGE_SHAPE, dtype="uint8")


class Ours:
    """`model.fit` of a zoo model on the library's own pipeline."""

    def __init__(self, name, images, policy=None, jit_compile=False):
        with models.dtype_policy_scope(policy):
            self.model = models.get(
                name,
                image_shape=IMAGE_SHAPE,
                latent_dim=LATENT_DIMS[name],
                seed=0,
            )
            self.model.compile(jit_compile=jit_compile)
        self.dataset = load_images(
            images, batch_size=BATCH_SIZES[name], seed=0
        ).repeat()

    def run(self, steps):
        self.model.fit(
            self.dataset,
            epochs=1,
            steps_per_epoch=steps,
            shuffle=False,  # the pipeline shuffles
            verbose=0,
        )


class Tutorial:
    """The tutorial's loop on the same networks and batch size."""

    def __init__(self, name, images):
        batch_size = BATCH_SIZES[name]
        latent_dim = LATENT_DIMS[name]
        x = images.astype("float32")
        if name == "dcgan":
            x = (x - 127.5) / 127.5  # the tutorial's scaling to [-1, 1]
            self.step = tutorial_loops.dcgan_tutorial_step(
                networks.build_dcgan_generator(IMAGE_SHAPE, latent_dim),
                networks.build_dcgan_discriminator(IMAGE_SHAPE),
                latent_dim,
                batch_size,
            )
        else:
            x = x / 255.0
            self.step = tutorial_loops.cvae_tutorial_step(
                networks.build_vae_encoder(IMAGE_SHAPE, latent_dim),
                networks.build_vae_decoder(IMAGE_SHAPE, latent_dim),
            )
        dataset = tutorial_loops.tutorial_pipeline(x, batch_size)
        # The tutorial's last batch is smaller; drop it so that every
        # timed step has the same size as ours.
        self.iterator = iter(dataset.unbatch().batch(batch_size, True).repeat())

    def run(self, steps):
        for _ in range(steps):
            self.step(next(self.iterator))


def input_only_seconds(dataset, steps):
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    return time.perf_counter() - start


def benchmark(name, images, steps, repeats, warmup):
    runners = {"tutorial loop": Tutorial(name, images)}
    for variant, options in VARIANTS.items():
        runners[f"ours, {variant}"] = Ours(name, images, **options)
    for runner in runners.values():
        runner.run(warmup)
    seconds = {label: [] for label in runners}
    for _ in range(repeats):
        for label, runner in runners.items():
            start = time.perf_counter()
            runner.run(steps)
            seconds[label].append(time.perf_counter() - start)
    images_per_run = steps * BATCH_SIZES[name]
    throughput = {
        label: images_per_run / statistics.median(times)
        for label, times in seconds.items()
    }
    ours = runners["ours, float32"]
    input_share = input_only_seconds(ours.dataset, steps) / statistics.median(
        seconds["ours, float32"]
    )
    return throughput, input_share


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--models", nargs="+", default=["dcgan", "vae"])
    args = parser.parse_args()

    import os

    print(
        f"{cpu_name()}, {os.cpu_count()} cores; keras {keras.__version__}, "
        f"backend {keras.backend.backend()}; {args.steps} steps x "
        f"{args.repeats} repeats, median"
    )
    images = mnist_like_images()
    header = f"{'model':6} {'variant':24} {'img/s':>8} {'vs tutorial':>12}"
    print(header)
    print("-" * len(header))
    for name in args.models:
        throughput, input_share = benchmark(
            name, images, args.steps, args.repeats, args.warmup
        )
        baseline = throughput["tutorial loop"]
        for label, value in throughput.items():
            print(f"{name:6} {label:24} {value:8.0f} {value / baseline:11.2f}x")
        print(
            f"{name:6} input pipeline alone: {input_share:.1%} of a float32 "
            "step's time (overlapped by prefetch)"
        )


if __name__ == "__main__":
    main()
