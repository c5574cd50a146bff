"""Training (and sampling) throughput of every zoo model on JAX,
TensorFlow and PyTorch.

Times training images per second of `model.fit` for each model on each
Keras backend, at the sizes `genimg train` uses (28x28x1, the MNIST shape,
with each model's default batch and latent sizes), on random images held
in memory (the speed of a step does not depend on the pixels); on
TensorFlow they go through `keras_genimg.data.load_images`, the pipeline
of `genimg train` (Keras' own pipeline for numpy arrays leaves tf.data's
autotuner on, which made some TensorFlow processes train at three
quarters of the speed). Keras
picks its backend once per process, so every backend runs in a process of
its own; the processes take turns, one timed run each per repeat, so that
a change in machine load hits every backend alike. The first run of each
is a warm-up (tracing and compiling) and is not timed; in the others the
clock starts after the first two steps of `fit`, so that the call's own
setup is not timed. The table shows medians and each backend's ratio to
TensorFlow. With `--processes K`, every backend runs in K processes, all
taking turns: the median is then over all of their runs, and the table
also shows the lowest and highest median of one process. With
`--task sample`, the time of `generate` for `SAMPLE_BATCH` images is
measured instead (for `ddpm`, its whole DDIM sampler of 50 steps). With
`--task convolutions`, only the model's convolutions are timed: each
`Conv2D` and `Conv2DTranspose` of its networks, called on a batch of its
input shape and differentiated with respect to its input and kernel, one
after another, compiled on their own; a "step" is one pass over all of
them. Set against `train`, it says how much of a backend's ratio to
another is the convolution kernels' and how much the rest of the step's.

It needs only `keras_genimg.models` and numpy, so it runs where
TensorFlow is not installed (e.g. a GPU machine with JAX and PyTorch:
`--backends jax torch`, ratios then to the first backend listed).

    python benchmarks/backend_throughput.py [--backends jax tensorflow torch]
        [--models dcgan vae cgan cvae sngan wgan_gp ddpm] [--steps 32]
        [--repeats 3] [--task {train,sample,convolutions}] [--processes 1]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
MODELS = ("dcgan", "vae", "cgan", "cvae", "sngan", "wgan_gp", "ddpm")
TASKS = ("train", "sample", "convolutions")
SAMPLE_BATCH = 64
# Steps of each `fit` call left out of its time: the first steps and the
# call's setup (its data adapter, callbacks) are not the step's speed.
UNTIMED_STEPS = 2
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def serve(name, steps, task="train"):
    """Worker: builds `name` on this process' backend and times `fit` (or
    `generate`).

    Answers `ready` once warmed up, then one `seconds S` line for every
    `train` line read from stdin.
    """
    import keras
    import numpy as np

    from keras_genimg import models

    entry = models.entry(name)
    rng = np.random.default_rng(0)
    count = steps * entry.batch_size
    images = rng.random((count, *IMAGE_SHAPE), "float32")
    labels = rng.integers(0, NUM_CLASSES, count) if entry.conditional else None
    extra = {"num_classes": NUM_CLASSES} if entry.conditional else {}
    model = models.get(
        name,
        image_shape=IMAGE_SHAPE,
        latent_dim=entry.latent_dim,
        seed=0,
        **extra,
    )
    model.compile()

    # On TensorFlow, the arrays go through the zoo's own `tf.data`
    # pipeline, as `genimg train` feeds its data. Keras' adapter for numpy
    # arrays builds a pipeline with tf.data's autotuner on, and on 2 cores
    # that made about half of the processes train at three quarters of
    # the speed for as long as they ran (the WGAN-GP: 129 against 94 ms a
    # step).
    fit_data = {"x": images, "y": labels, "batch_size": entry.batch_size}
    if keras.backend.backend() == "tensorflow":
        from keras_genimg.data import load_images

        source = images if labels is None else (images, labels)
        fit_data = {
            "x": load_images(
                source,
                batch_size=entry.batch_size,
                with_labels=labels is not None,
                shuffle=False,
            )
        }

    class Clock(keras.callbacks.Callback):
        """Starts once the first `UNTIMED_STEPS` steps of a `fit` are done,
        so that the setup of each `fit` call is not timed."""

        def on_train_batch_end(self, batch, logs=None):
            if batch == UNTIMED_STEPS - 1:
                self.start = time.perf_counter()

    def run():
        clock = Clock()
        model.fit(
            **fit_data, epochs=1, shuffle=False, verbose=0, callbacks=[clock]
        )
        return time.perf_counter() - clock.start

    if task == "sample":

        def run():
            start = time.perf_counter()
            model.generate(num_images=SAMPLE_BATCH, seed=0)
            return time.perf_counter() - start

    if task == "convolutions":
        passes = [
            convolution_pass(layer, entry.batch_size, rng)
            for layer in convolution_layers(model)
        ]

        def run():
            start = time.perf_counter()
            for _ in range(steps - UNTIMED_STEPS):
                for convolution in passes:
                    convolution()
            return time.perf_counter() - start

    run()  # warm-up: tracing, compiling
    print(f"ready {keras.backend.backend()}", flush=True)
    for _ in sys.stdin:
        print(f"seconds {run()}", flush=True)


def convolution_layers(model):
    """The trained `Conv2D` and `Conv2DTranspose` layers of `model`'s
    networks (not a weight average's copies, nor the layers inside a
    wrapper such as spectral normalization)."""
    import keras

    kinds = keras.layers.Conv2D | keras.layers.Conv2DTranspose
    found, networks = [], list(model.layers)
    while networks:
        layer = networks.pop(0)
        if isinstance(layer, kinds) and layer.trainable_variables:
            found.append(layer)
        networks.extend(getattr(layer, "layers", []))
    return found


def convolution_gradients(layer):
    """`gradients(weights, batch)`: the gradients of half the squared
    output of `layer` called on `batch` with `weights`, with respect to
    the weights and the batch (flat: the weights' first), compiled as the
    backend compiles a training step."""
    import keras

    def loss(weights, batch):
        outputs, _ = layer.stateless_call(weights, [], batch)
        return keras.ops.sum(keras.ops.square(outputs)) / 2

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        differentiate = jax.jit(jax.grad(loss, argnums=(0, 1)))
    elif backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def differentiate(weights, batch):
            with tf.GradientTape() as tape:
                tape.watch([weights, batch])
                value = loss(weights, batch)
            return tape.gradient(value, [weights, batch])
    else:
        import torch

        def differentiate(weights, batch):
            weights = [w.detach().requires_grad_() for w in weights]
            batch = batch.detach().requires_grad_()
            return torch.autograd.grad(loss(weights, batch), [*weights, batch])

    def gradients(weights, batch):
        return keras.tree.flatten(differentiate(weights, batch))

    return gradients


def convolution_pass(layer, batch_size, rng):
    """A function that runs `convolution_gradients(layer)` on a random
    batch of the layer's input shape and waits for them."""
    import keras

    shape = (batch_size, *layer.input.shape[1:])
    batch = keras.ops.convert_to_tensor(rng.random(shape, "float32"))
    weights = [
        keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(w))
        for w in layer.trainable_variables
    ]
    gradients = convolution_gradients(layer)

    def run():
        keras.ops.convert_to_numpy(gradients(weights, batch)[0])

    return run


class Worker:
    """A `serve` process on one backend, driven over its stdin/stdout."""

    def __init__(self, backend, name, steps, task):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                name,
                "--steps",
                str(steps),
                "--task",
                task,
            ],  # fmt: skip
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def answer(self):
        for line in self.process.stdout:
            if line.startswith(("ready", "seconds")):
                return line.split()[1]
        raise RuntimeError("a benchmark worker died; run it alone to see why")

    def time(self):
        self.process.stdin.write("train\n")
        self.process.stdin.flush()
        return float(self.answer())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def benchmark(name, backends, steps, repeats, task="train", processes=1):
    """Img/s of `name` on each backend: the median over all timed runs,
    and the lowest and highest median of one process."""
    workers = {
        b: [Worker(b, name, steps, task) for _ in range(processes)]
        for b in backends
    }
    try:
        for backend, group in workers.items():
            for worker in group:
                assert worker.answer() == backend
        seconds = {b: [[] for _ in range(processes)] for b in backends}
        for _ in range(repeats):
            for backend, group in workers.items():
                for worker, times in zip(group, seconds[backend]):
                    times.append(worker.time())
    finally:
        for group in workers.values():
            for worker in group:
                worker.close()
    from keras_genimg.models import entry

    images = (steps - UNTIMED_STEPS) * entry(name).batch_size
    if task == "sample":
        images = SAMPLE_BATCH
    result = {}
    for backend, times in seconds.items():
        medians = [images / statistics.median(t) for t in times]
        every = [t for process in times for t in process]
        result[backend] = (
            images / statistics.median(every),
            min(medians),
            max(medians),
        )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS)
    )
    parser.add_argument(
        "--models", nargs="+", choices=MODELS, default=list(MODELS)
    )
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task", choices=TASKS, default="train")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="worker processes per backend, to see how much a process' "
        "speed differs from the next one's",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(args.worker, args.steps, args.task)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    baseline = args.backends[0]
    # This process reads the zoo's registry too: on the first backend
    # listed, so that it runs where TensorFlow is not installed.
    os.environ.setdefault("KERAS_BACKEND", baseline)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores; {args.task}; {args.steps} steps x {args.repeats} repeats, "
        "median"
    )
    header = f"{'model':8} {'backend':11} {'img/s':>8} {'vs ' + baseline:>14}"
    if args.processes > 1:
        header += f" {'processes':>14}"
    print(header)
    print("-" * len(header))
    for name in args.models:
        throughput = benchmark(
            name,
            args.backends,
            args.steps,
            args.repeats,
            args.task,
            args.processes,
        )
        for backend, (value, low, high) in throughput.items():
            ratio = value / throughput[baseline][0]
            line = f"{name:8} {backend:11} {value:8.0f} {ratio:13.2f}x"
            if args.processes > 1:
                line += f" {low:6.0f}-{high:<7.0f}"
            print(line)


if __name__ == "__main__":
    main()
