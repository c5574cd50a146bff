"""Training throughput: the zoo's models against the tutorials' loops.

For every zoo model at its default size (28x28x1, the MNIST shape, with
the batch size and latent size of `genimg train`), times training images
per second of `model.fit` in several variants (float32, mixed bfloat16,
XLA, several steps per call) and, for the DCGAN and the VAE, in the same
run, on the same networks and batch size, the loop the TensorFlow tutorial
teaches (see `tutorial_loops.py`).
Every variant runs in a process of its own (TensorFlow's thread pools and
oneDNN's caches are per process, and a variant must not slow the next),
but the processes take turns, one timed run each per repeat, so that a
change in machine load hits every variant alike. Warm-up steps (tracing)
are excluded; the table shows medians and each variant's ratio to
float32 `fit` and to the tutorial loop. It also reports how
long the input pipeline alone takes per step, relative to a training step
(an upper bound on the time a step waits for input; prefetching hides it).

    python benchmarks/train_throughput.py [--steps 64] [--repeats 5]
        [--models dcgan vae cgan cvae wgan_gp] [--batch-size N]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
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
NUM_CLASSES = 10
TUTORIAL = "tutorial loop"
TUTORIAL_MODELS = ("dcgan", "vae")  # the models a TF tutorial teaches
BASELINE = "ours, float32"
MODEL_ORDER = ["dcgan", "vae", "cgan", "cvae", "wgan_gp"]
VARIANTS = {
    "ours, float32": {},
    "ours, mixed_bfloat16": {"policy": "mixed_bfloat16"},
    "ours, float32 + XLA": {"jit_compile": True},
    "ours, float32, 8 steps/call": {"steps_per_execution": 8},
    "ours, bfloat16, 8 steps/call": {
        "policy": "mixed_bfloat16",
        "steps_per_execution": 8,
    },
}


def mnist_like_images():
    """`(images, labels)`: the MNIST copy when present, else random ones."""
    if MNIST.is_dir():
        images, labels = load_arrays(MNIST, with_labels=True)
        return np.round(images * 255).astype("uint8"), labels
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10_000,) + IMAGE_SHAPE, dtype="uint8")
    return images, rng.integers(0, NUM_CLASSES, 10_000, dtype="int32")


class Ours:
    """`model.fit` of a zoo model on the library's own pipeline."""

    def __init__(
        self,
        name,
        images,
        labels,
        batch_size,
        policy=None,
        jit_compile=False,
        steps_per_execution=1,
    ):
        conditional = models.entry(name).conditional
        extra = {"num_classes": NUM_CLASSES} if conditional else {}
        with models.dtype_policy_scope(policy):
            self.model = models.get(
                name,
                image_shape=IMAGE_SHAPE,
                latent_dim=models.entry(name).latent_dim,
                seed=0,
                **extra,
            )
            self.model.compile(
                jit_compile=jit_compile,
                steps_per_execution=steps_per_execution,
            )
        self.dataset = load_images(
            (images, labels),
            batch_size=batch_size,
            seed=0,
            with_labels=conditional,
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

    def __init__(self, name, images, batch_size):
        latent_dim = models.entry(name).latent_dim
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


def build_runner(name, label, batch_size=None):
    """The `Tutorial` or `Ours` runner of a model, `label` as in `VARIANTS`.

    `batch_size` defaults to the model's `genimg train` default.
    """
    images, labels = mnist_like_images()
    batch_size = batch_size or models.entry(name).batch_size
    if label == TUTORIAL:
        return Tutorial(name, images, batch_size)
    return Ours(name, images, labels, batch_size, **VARIANTS[label])


def input_only_seconds(dataset, steps):
    iterator = iter(dataset)
    next(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    return time.perf_counter() - start


def serve(name, label, warmup, batch_size):
    """Worker: builds one variant, then times the runs it is asked for.

    Reads lines from stdin: `train STEPS` times that many training steps,
    `input STEPS` times the input pipeline alone; answers each with one
    line `seconds S`.
    """
    runner = build_runner(name, label, batch_size)
    runner.run(warmup)
    print("ready", flush=True)
    for line in sys.stdin:
        command, steps = line.split()
        start = time.perf_counter()
        if command == "train":
            runner.run(int(steps))
            seconds = time.perf_counter() - start
        else:
            seconds = input_only_seconds(runner.dataset, int(steps))
        print(f"seconds {seconds}", flush=True)


class Worker:
    """A `serve` process of this script, driven over its stdin/stdout."""

    def __init__(self, name, label, warmup, batch_size):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", name, label]
            + ["--warmup", str(warmup), "--batch-size", str(batch_size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def answer(self):
        for line in self.process.stdout:
            if line.startswith(("ready", "seconds")):
                return line.split()[1:]
        raise RuntimeError("a benchmark worker died; run it alone to see why")

    def time(self, command, steps):
        self.process.stdin.write(f"{command} {steps}\n")
        self.process.stdin.flush()
        return float(self.answer()[0])

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def benchmark(name, steps, repeats, warmup, batch_size):
    labels = [TUTORIAL] if name in TUTORIAL_MODELS else []
    workers = {
        label: Worker(name, label, warmup, batch_size)
        for label in labels + [*VARIANTS]
    }
    try:
        for worker in workers.values():
            worker.answer()  # ready: built and warmed up
        seconds = {label: [] for label in workers}
        for _ in range(repeats):
            for label, worker in workers.items():
                seconds[label].append(worker.time("train", steps))
        input_seconds = workers[BASELINE].time("input", steps)
    finally:
        for worker in workers.values():
            worker.close()
    images_per_run = steps * batch_size
    throughput = {
        label: images_per_run / statistics.median(times)
        for label, times in seconds.items()
    }
    input_share = input_seconds / statistics.median(seconds[BASELINE])
    return throughput, input_share


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ratio(value, baseline):
    """`value / baseline` as `1.23x`, or `-` without a baseline."""
    return "-" if baseline is None else f"{value / baseline:.2f}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=16)
    parser.add_argument(
        "--models", nargs="+", choices=models.names(), default=MODEL_ORDER
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        help="images per step for every model (default: each model's "
        "`genimg train` default)",
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(*args.worker, args.warmup, args.batch_size)
        return

    print(
        f"{cpu_name()}, {os.cpu_count()} cores; keras {keras.__version__}, "
        f"backend {keras.backend.backend()}; {args.steps} steps x "
        f"{args.repeats} repeats, median"
    )
    header = (
        f"{'model':7} {'variant':30} {'img/s':>8} {'vs float32':>11} "
        f"{'vs tutorial':>12}"
    )
    print(header)
    print("-" * len(header))
    for name in args.models:
        batch_size = args.batch_size or models.entry(name).batch_size
        throughput, input_share = benchmark(
            name, args.steps, args.repeats, args.warmup, batch_size
        )
        for label, value in throughput.items():
            print(
                f"{name:7} {label:30} {value:8.0f} "
                f"{ratio(value, throughput.get(BASELINE)):>11} "
                f"{ratio(value, throughput.get(TUTORIAL)):>12}"
            )
        print(
            f"{name:7} batch {batch_size}; input pipeline alone: "
            f"{input_share:.1%} of a float32 "
            "step's time (overlapped by prefetch)"
        )


if __name__ == "__main__":
    main()
