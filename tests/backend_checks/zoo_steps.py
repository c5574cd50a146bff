"""Trains every zoo model a little on one Keras backend; writes what it saw.

Run as `KERAS_BACKEND=jax python -m tests.backend_checks.zoo_steps OUT`
(the backend is chosen when Keras is first imported, so each backend needs
a process of its own). With `--without-tensorflow`, `import tensorflow`
fails in the process, as on a machine without it.
`tests/backends/test_backends.py` runs it on every backend and compares
what the processes wrote:

- `OUT/<backend>/step-<part>.npz`: logs and weights after one step of
  every model from the same initial weights, batch and noise (SGD, and
  Adam for the DCGAN, whose update each backend computes its own way);
- `OUT/<backend>/fit-<part>.json`: per model, what a short `fit` logged
  and the checks it made of the training state, and the other checks;
- `OUT/<backend>/<model>.keras` and `generated-<part>.npz`: trained models
  and their `generate(z)`, for the other backends to load;
- with `--load`, `OUT/<backend>/loaded.npz`: `generate(z)` of every other
  backend's files, opened here;
- in the part that checks it (JAX on two devices), the largest
  differences between a step split over the devices and the step on one.

`--part` chooses the models and checks (`PARTS`).
"""

import argparse
import importlib.abc
import importlib.machinery
import json
import os
import sys
from pathlib import Path


class NoTensorFlow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes `import tensorflow` fail, as where it is not installed.

    Its spec has no origin, so that code which only looks TensorFlow up
    (`importlib.util.find_spec`, as PyTorch does) carries on.
    """

    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] != "tensorflow":
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r}",
                                  name=spec.name)  # fmt: skip

    def exec_module(self, module):
        raise ModuleNotFoundError(f"No module named {module.__name__!r}",
                                  name=module.__name__)  # fmt: skip


if "--without-tensorflow" in sys.argv:
    sys.meta_path.insert(0, NoTensorFlow())

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_genimg import callbacks, latent, metrics, models, plots  # noqa: E402

SHAPE = (16, 16, 1)
NUM_CLASSES = 3
MODELS = {
    "vae": {"latent_dim": 4, "filters": 8},
    "cvae": {"latent_dim": 4, "filters": 8},
    "dcgan": {"latent_dim": 4, "filters": 8},
    # The cGAN with every lever of the GANs: spectral norm (of the class
    # embedding too), the hinge loss and DiffAugment.
    "cgan": {
        "latent_dim": 4,
        "filters": 8,
        "spectral_norm": True,
        "loss": "hinge",
        "diff_augment": True,
    },
    "wgan_gp": {"latent_dim": 4, "filters": 8, "n_critic": 2},
    # One level of 16 channels (see tests/models/test_diffusion.tiny):
    # TensorFlow traces it in half the time of two.
    "ddpm": {
        "filters": 16,
        "channel_multipliers": (1,),
        "timesteps": 20,
        "sampling_steps": 3,
    },
}
BACKENDS = ("jax", "tensorflow", "torch")
# The models whose one step is compared across backends: the conditional
# VAE runs the same step with labels, and trains in every backend's matrix.
SAME_STEP_MODELS = ("vae", "dcgan", "wgan_gp", "cgan", "ddpm")


def build(name, seed=0):
    return models.get(name, image_shape=SHAPE, seed=seed, **MODELS[name])


def data(name, count, seed=0):
    """Images of bright squares on dark ground, and labels 0..2."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, *SHAPE), "float32")
    for image in images:
        top, left = rng.integers(0, 8, 2)
        image[top : top + 8, left : left + 8] = 1.0
    images += rng.uniform(0, 0.1, images.shape).astype("float32")
    labels = np.arange(count) % NUM_CLASSES
    conditional = models.entry(name).conditional
    return images.clip(0, 1), labels if conditional else None


def latents(name, count=4):
    # A diffusion model's latent vector is its initial noise.
    latent_dim = MODELS[name].get("latent_dim", int(np.prod(SHAPE)))
    return (
        np.random.default_rng(7)
        .standard_normal((count, latent_dim))
        .astype("float32")
    )


def set_known_weights(model):
    """The same weights on every backend: kernels and biases from numpy's
    generator, BatchNorm's vectors as their initializers made them.

    Biases are not left at 0: DiffAugment's cutout feeds the
    discriminator patches of exact zeros, whose pre-activation would then
    sit on LeakyReLU's kink, where backends take different gradients.
    """
    for index, weight in enumerate(model.weights):
        if weight.path.endswith("/bias"):
            value = np.random.default_rng(index).normal(0.0, 0.1, weight.shape)
            weight.assign(value.astype("float32"))
            continue
        if len(weight.shape) < 2:
            continue
        fan_in = int(np.prod(weight.shape[:-1]))
        value = np.random.default_rng(index).normal(
            0.0, 1.0 / np.sqrt(fan_in), weight.shape
        )
        weight.assign(value.astype("float32"))


class KnownNoise:
    """Replaces `keras.random.normal`/`uniform`/`randint` by numpy draws,
    one generator per call, so every backend's step sees the same noise."""

    def __enter__(self):
        self.saved = (
            keras.random.normal, keras.random.uniform, keras.random.randint
        )  # fmt: skip
        self.calls = 0
        keras.random.normal = self.normal
        keras.random.uniform = self.uniform
        keras.random.randint = self.randint
        return self

    def __exit__(self, *args):
        (keras.random.normal, keras.random.uniform,
         keras.random.randint) = self.saved  # fmt: skip

    def _rng(self):
        self.calls += 1
        return np.random.default_rng(1000 + self.calls)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        shape = tuple(int(d) for d in shape)
        value = self._rng().normal(mean, stddev, shape).astype("float32")
        return keras.ops.cast(value, dtype or "float32")

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        shape = tuple(int(d) for d in shape)
        value = self._rng().uniform(minval, maxval, shape).astype("float32")
        return keras.ops.cast(value, dtype or "float32")

    def randint(self, shape, minval, maxval, dtype="int32", seed=None):
        shape = tuple(int(d) for d in shape)
        value = self._rng().integers(minval, maxval, shape).astype("int32")
        return keras.ops.cast(value, dtype)


def one_step(name):
    """Logs and weights after one step from known weights, batch, noise."""
    model = build(name)
    set_known_weights(model)
    sgd = keras.optimizers.SGD

    def adam():
        # An epsilon this large keeps the update of a weight whose gradient
        # is near 0 from hanging on that gradient's rounding.
        return keras.optimizers.Adam(0.01, beta_1=0.5, epsilon=0.1)

    if name in ("vae", "cvae", "ddpm"):
        model.compile(optimizer=sgd(0.01))
    elif name == "wgan_gp":
        model.compile(critic_optimizer=sgd(0.01), g_optimizer=sgd(0.01))
    elif name == "dcgan":
        model.compile(d_optimizer=adam(), g_optimizer=adam())
    else:
        model.compile(d_optimizer=sgd(0.01), g_optimizer=sgd(0.01))
    images, labels = data(name, 8)
    with KnownNoise():
        logs = model.train_on_batch(images, labels, return_dict=True)
    result = {f"log/{k}": np.float64(v) for k, v in logs.items()}
    for index, weight in enumerate(model.weights):
        result[f"weight/{index}"] = keras.ops.convert_to_numpy(weight)
    return result


class StopAtEpoch(keras.callbacks.Callback):
    """Raises at the start of an epoch, as a killed run would stop."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def state_snapshot(model):
    moving = [
        keras.ops.convert_to_numpy(w).copy()
        for w in model.non_trainable_weights
        if "moving_mean" in w.path
    ]
    return {
        "seed": keras.ops.convert_to_numpy(model.seed_state).tolist(),
        "moving_mean_sum": float(sum(np.abs(m).sum() for m in moving)),
        "iterations": [
            int(o.iterations)
            for o in [model.optimizer, *model.extra_optimizers]
        ],
    }


def fit_data(name):
    """The images, labels (or None) and batch size of a short fit."""
    images, labels = data(name, 40)
    return images, labels, 10 if name != "wgan_gp" else 20


def saved_fit(name, out):
    """One epoch of a short fit, saved to `out/<name>.keras` (for the
    other backends to open); returns what the model generates."""
    images, labels, batch_size = fit_data(name)
    model = build(name, seed=3)
    model.compile()
    model.fit(images, labels, batch_size=batch_size, epochs=1,
              shuffle=False, verbose=0)  # fmt: skip
    generated = model.generate(z=latents(name))
    model.save(out / f"{name}.keras")
    return generated


def short_fit(name, out):
    """A short fit: its logs, state checks, save/load and resume."""
    images, labels, batch_size = fit_data(name)
    backup = out / f"{name}_backup"
    backup_callbacks = [callbacks.TrainingBackup(backup)]
    model = build(name, seed=3)
    model.compile()
    before = state_snapshot(model)
    # Stopped at the start of epoch 2 of 3, after the backup of epoch 1.
    try:
        model.fit(images, labels, batch_size=batch_size, epochs=3,
                  shuffle=False, verbose=0,
                  callbacks=[*backup_callbacks, StopAtEpoch(1)])  # fmt: skip
    except KeyboardInterrupt:
        pass
    after_one = state_snapshot(model)
    history = model.history
    history2 = model.fit(images, labels, batch_size=batch_size, epochs=2,
                         initial_epoch=1, shuffle=False, verbose=0)  # fmt: skip
    after_two = state_snapshot(model)
    logs = {k: v + history2.history[k] for k, v in history.history.items()}

    z = latents(name)
    generated = model.generate(z=z)
    path = out / f"{name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    reloaded_generated = reloaded.generate(z=z)
    optimizer_state_equal = all(
        np.array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
        )  # fmt: skip
        for a, b in zip(
            model.optimizer.variables + model.extra_optimizers[0].variables
            if model.extra_optimizers
            else model.optimizer.variables,
            reloaded.optimizer.variables
            + reloaded.extra_optimizers[0].variables
            if reloaded.extra_optimizers
            else reloaded.optimizer.variables,
            strict=True,
        )
    )

    # The stopped run resumes from its backup at epoch 2 of 3.
    resumed = build(name, seed=3)
    resumed.compile()
    resumed_history = resumed.fit(images, labels, batch_size=batch_size,
                                  epochs=3, shuffle=False, verbose=0,
                                  callbacks=backup_callbacks)  # fmt: skip
    return {
        "logs": logs,
        "before": before,
        "after_one": after_one,
        "after_two": after_two,
        "steps_per_epoch": -(-len(images) // batch_size),
        "generated_equal_after_reload": bool(
            np.allclose(generated, reloaded_generated, atol=1e-6)
        ),
        "optimizer_state_equal_after_reload": optimizer_state_equal,
        "resumed_epochs": len(resumed_history.history[list(logs)[0]]),
        "resumed_iterations": state_snapshot(resumed)["iterations"],
    }, generated


def mixed_precision_steps():
    """Logs of a step in each mixed precision: a VAE in bfloat16, and a
    DCGAN (two optimizers, both loss-scaled) in float16. Finite, with
    float32 images out."""
    result = {}
    for policy, name in (("mixed_bfloat16", "vae"), ("mixed_float16", "dcgan")):
        images, _ = data(name, 8)
        with models.dtype_policy_scope(policy):
            model = build(name)
            model.compile()
        logs = model.train_on_batch(images, return_dict=True)
        generated = model.generate(num_images=2, seed=0)
        network = model.decoder if name == "vae" else model.generator
        result[policy] = {
            "finite": bool(np.all(np.isfinite(list(logs.values())))),
            "compute_dtype": network.layers[-2].compute_dtype,
            "generated_dtype": str(generated.dtype),
        }
    return result


def tools_on_a_trained_vae(out):
    """Callbacks, latent tools, metrics and plots on a VAE; their checks."""
    images, _ = data("vae", 32)
    vae = build("vae")
    vae.compile()
    history = vae.fit(
        images, batch_size=16, epochs=2, verbose=0,
        callbacks=[
            callbacks.SampleGrid(out / "samples", num_images=4, seed=0,
                                 reconstruction_images=images[:4]),
            callbacks.HistoryJSON(out / "history.json"),
        ],
    )  # fmt: skip
    path = latent.interpolate_images(vae, images[0], images[1], steps=5)
    real = np.random.default_rng(0).normal(size=(64, 8))
    plots.plot_history(out / "history.json", out / "history.png")
    return {
        "loss_went_down": history.history["loss"][1]
        < history.history["loss"][0],
        "sample_grids": len(list((out / "samples").glob("*.png"))),
        "interpolation_shape": list(path.shape),
        "frechet_distance": float(
            metrics.frechet_distance_from_features(real, real + 1.0)
        ),
        "history_plot": (out / "history.png").stat().st_size > 0,
    }


def failed_fit_leaves_the_model_usable(out):
    """A `predict` of latent vectors of the wrong width, and a `fit` that
    fails inside its first step (here: batches of the wrong image size,
    from a generator, which `fit` cannot check beforehand) raise, and the
    model still generates, trains and saves."""
    model = build("vae")
    model.compile()
    z = latents("vae")
    before = model.generate(z=z)
    try:
        model.predict(np.zeros((3, z.shape[1] + 1), "float32"), verbose=0)
        predict_raised = False
    except ValueError:
        predict_raised = True
    same_after_predict = bool(np.allclose(model.generate(z=z), before))

    def wrong_batches():
        while True:
            yield (np.zeros((4, 8, 8, 1), "float32"),)

    try:
        model.fit(wrong_batches(), steps_per_epoch=1, verbose=0)
        raised = False
    except Exception:  # the backend's own shape error
        raised = True
    images, _ = data("vae", 8)
    same = bool(np.allclose(model.generate(z=z), before))
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    model.save(out / "after_failed_fit.keras")
    return {"predict_raised": predict_raised,
            "generates_after_predict": same_after_predict,
            "raised": raised, "generates_the_same": same,
            "trained_after": int(model.optimizer.iterations)}  # fmt: skip


def diffusion_loss_goes_down():
    """The diffusion model's loss on a fixed batch, before and after 40
    steps on it, with the same noise for both measurements."""
    images, _ = data("ddpm", 16)
    model = build("ddpm")
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    state = keras.ops.convert_to_numpy(model.seed_state)

    def fixed_loss():
        model.seed_state.assign(state)
        return float(model.evaluate(images, batch_size=16, verbose=0))

    before = fixed_loss()
    model.fit(images, batch_size=8, epochs=20, verbose=0)
    return {"before": before, "after": fixed_loss()}


def sampling_follows_the_weights():
    """Sampling after the weights change (as training changes them) uses
    the new weights, on each compiled sampling path: for each, whether
    the images changed and whether they equal a fresh model's with the
    same weights."""
    report = {}
    rng = np.random.default_rng(0)
    for name, options in (("dcgan", {}), ("ddpm", {}), ("ddpm", {"steps": 3})):
        model, trained = build(name), build(name)
        if name == "ddpm":
            model.sampling_steps = trained.sampling_steps = 2
        # Moved off their initial values (the U-Net's last layer starts
        # at zero, which would make every image the same).
        trained.set_weights(
            [w + rng.normal(0, 0.05, w.shape).astype(w.dtype)
             if w.dtype.kind == "f" else w
             for w in trained.get_weights()]
        )  # fmt: skip
        before = model.generate(num_images=2, seed=1, **options)
        model.set_weights(trained.get_weights())
        after = model.generate(num_images=2, seed=1, **options)
        expected = trained.generate(num_images=2, seed=1, **options)
        report[f"{name}{options}"] = {
            "changed": bool(np.abs(after - before).max() > 1e-3),
            "max_difference": float(np.abs(after - expected).max()),
        }
    return report


def inversion_recovers_a_generated_image():
    """GAN inversion (gradients w.r.t. `z`, outside a step) fits a
    DCGAN's image from its known bottom half."""
    from keras_genimg import editing

    gan = build("dcgan")
    target = gan.generate(num_images=2, seed=3)
    mask = editing.make_mask("bottom-half", SHAPE, 2)
    _, images, loss = editing.invert_generator(
        gan, target, mask, steps=60, restarts=2, prior_weight=0.0
    )
    start = gan.generate(num_images=2, seed=0)
    return {
        "loss": loss.tolist(),
        "start_loss": np.mean((start - target) ** 2, axis=(1, 2, 3)).tolist(),
        "vae_prior_mode": vae_inversion_finds_a_prior_mode(),
    }


def vae_inversion_finds_a_prior_mode():
    """A VAE's inversion starts from each component of its prior, held by
    that component's Gaussian: an image decoded from a component's mean
    is found again. Returns the largest pixel difference."""
    from keras_genimg import editing

    vae = models.get("vae", image_shape=SHAPE, seed=0, prior_components=2,
                     **MODELS["vae"])  # fmt: skip
    prior = vae.latent_prior
    means = np.array([[2.0, 0.0, -1.0, 0.5], [-1.5, 1.0, 0.0, 2.0]])
    scale = np.tril(np.full((4, 4), 0.3)) + np.eye(4)
    prior.means.assign(means.astype("float32"))
    prior.scales.assign(np.stack([scale, 0.5 * scale]).astype("float32"))
    target = vae.decode(np.repeat(means[1:], 2, 0).astype("float32"))
    filled = editing.inpaint(vae, target, "center", steps=20)
    return float(np.abs(filled - target).max())


def examples_without_tensorflow():
    """The docstring examples of the packages that need no TensorFlow,
    run here: `{module: [failed, attempted]}`."""
    from tests.docs import examples

    names = examples.modules_with_examples(
        examples.WITHOUT_TENSORFLOW, without_tensorflow=True
    )
    return {name: examples.run_examples(name) for name in names}


def load_others(root, backend):
    """What the other backends' `.keras` files generate here, and, for
    the WGAN-GP (two optimizers, a double backward), one training step
    here: `[g, critic, g after, critic after, loss finite, jit_compile
    as a model compiled here has it]`, the optimizers' steps."""
    result = {}
    here = build("wgan_gp")
    here.compile()
    for other in BACKENDS:
        if other == backend or not (root / other).is_dir():
            continue
        for name in MODELS:
            model = keras.models.load_model(root / other / f"{name}.keras")
            result[f"{other}/{name}"] = model.generate(z=latents(name))
            if name == "wgan_gp":
                optimizers = (model.optimizer, model.critic_optimizer)
                before = [int(o.iterations) for o in optimizers]
                logs = model.train_on_batch(data(name, 8)[0], return_dict=True)
                after = [int(o.iterations) for o in optimizers]
                finite = all(np.isfinite(float(v)) for v in logs.values())
                same_jit = model.jit_compile == here.jit_compile
                result[f"{other}/{name}/steps"] = [
                    *before, *after, finite, same_jit
                ]  # fmt: skip
    return result


# What one process does: the models it trains and the other checks it
# makes. A backend's work can be split over two processes (JAX compiles
# slowly; the halves run side by side). The backend the rest of the suite
# runs on does only the cross-backend part: the one-step numbers, and a
# saved file of each model for the others to open.
PARTS = {
    "files": (list(MODELS), ()),
    "all": (
        list(MODELS),
        (
            "mixed_precision",
            "tools",
            "failed_fit",
            "convolutions",
            "ddpm",
            "inversion",
            "sampling",
        ),
    ),
    "first": (
        ["vae", "cvae", "cgan"],
        ("tools", "failed_fit", "convolutions", "inversion"),
    ),
    "second": (
        ["dcgan", "wgan_gp", "ddpm"],
        ("mixed_precision", "ddpm", "sampling", "data_parallel"),
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--part", choices=PARTS, default="all")
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--without-tensorflow", action="store_true")
    args = parser.parse_args(argv)
    backend = keras.backend.backend()
    out = args.out / backend
    out.mkdir(parents=True, exist_ok=True)
    if args.load:
        np.savez(out / "loaded.npz", **load_others(args.out, backend))
        return 0
    names, checks = PARTS[args.part]
    steps, fits, generated = {}, {}, {}
    for name in names:
        if name in SAME_STEP_MODELS:
            for key, value in one_step(name).items():
                steps[f"{name}/{key}"] = value
        if args.part == "files":
            generated[name] = saved_fit(name, out)
        else:
            fits[name], generated[name] = short_fit(name, out)
    if "mixed_precision" in checks:
        fits["mixed_precision"] = mixed_precision_steps()
    if "tools" in checks:
        fits["tools"] = tools_on_a_trained_vae(out)
    if "failed_fit" in checks:
        fits["failed_fit"] = failed_fit_leaves_the_model_usable(out)
    if "ddpm" in checks:
        fits["diffusion_loss"] = diffusion_loss_goes_down()
    if "sampling" in checks:
        fits["sampling"] = sampling_follows_the_weights()
    if "inversion" in checks:
        fits["inversion"] = inversion_recovers_a_generated_image()
    if "convolutions" in checks and backend in ("jax", "torch"):
        from tests.backend_checks import convolutions

        fits["convolutions"] = convolutions.report()
        if backend == "jax":
            fits["xla_convolutions"] = convolutions.xla_convolutions()
    if backend == "torch" and "convolutions" in checks:
        from tests.backend_checks import torch_kernels

        fits["torch_kernels"] = torch_kernels.report()
        fits["examples"] = examples_without_tensorflow()
    fits["tensorflow_imported"] = "tensorflow" in sys.modules
    if "data_parallel" in checks:  # last: it sets the global distribution
        from tests.backend_checks import data_parallel

        fits["data_parallel"] = data_parallel.differences()
    np.savez(out / f"step-{args.part}.npz", **steps)
    np.savez(out / f"generated-{args.part}.npz", **generated)
    with open(out / f"fit-{args.part}.json", "w") as f:
        json.dump(fits, f)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
