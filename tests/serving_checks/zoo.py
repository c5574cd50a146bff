"""Tiny zoo models, exported once per test session, and their golden table."""

import atexit
import functools
import os
import shutil
import tempfile
from types import SimpleNamespace

SHAPE = (16, 16, 1)
LATENT_DIM = 4
PREDICT = "tensorflow/serving/predict"
IMAGES = ("DT_FLOAT", (-1, *SHAPE))
LATENT = ("DT_FLOAT", (-1, LATENT_DIM))
SEED = ("DT_INT32", (-1,))
# A diffusion model's `z` is its initial noise, shaped as the images.
NOISE = ("DT_FLOAT", (-1, *SHAPE))


def _signature(inputs, outputs):
    return {"method": PREDICT, "inputs": inputs, "outputs": outputs}


# What `saved_model.pb` must say, written out by hand.
GOLDEN = {
    "dcgan": {
        "serving_default": _signature({"z": LATENT}, {"images": IMAGES}),
        "sample": _signature({"seed": SEED}, {"images": IMAGES}),
    },
    "ddpm": {
        "serving_default": _signature({"z": NOISE}, {"images": IMAGES}),
        "sample": _signature({"seed": SEED}, {"images": IMAGES}),
    },
    "vae": {
        "serving_default": _signature({"z": LATENT}, {"images": IMAGES}),
        "sample": _signature({"seed": SEED}, {"images": IMAGES}),
        "decode": _signature({"z": LATENT}, {"images": IMAGES}),
        "encode": _signature(
            {"images": IMAGES}, {"z_mean": LATENT, "z_log_var": LATENT}
        ),
        "reconstruct": _signature({"images": IMAGES}, {"images": IMAGES}),
        "denoise": _signature({"images": IMAGES}, {"images": IMAGES}),
        "inpaint": _signature(
            {"images": IMAGES, "mask": IMAGES}, {"images": IMAGES}
        ),
    },
}


def build(name):
    """A tiny compiled zoo model with seeded weights."""
    import keras

    from tests import model_checks

    if name == "vae":
        import numpy as np

        # Compiled: it has optimizer variables the export must leave out.
        model = model_checks.build(name)
        # Fitted, so that its `sample` signature draws from a mixture.
        rng = np.random.default_rng(0)
        model.fit_prior(rng.random((64, *SHAPE), "float32"))
        return model
    if name != "ddpm":
        return model_checks.build(name)
    from tests.models.test_diffusion import tiny

    keras.utils.set_random_seed(0)
    # With random weights: its output convolution starts at zero.
    model = tiny(sampling_steps=3)
    model.compile()  # Creates optimizer variables the export must leave out.
    return model


@functools.cache
def exported():
    """Exports a tiny VAE, DCGAN and DDPM to `ROOT/<name>/1`.

    Returns:
        A namespace with `root`, `models` (name to Keras model) and `paths`
        (name to version directory).
    """
    from keras_genimg.export import export_saved_model

    root = tempfile.mkdtemp(prefix="genimg-exports-")
    atexit.register(shutil.rmtree, root, True)
    models = {name: build(name) for name in GOLDEN}
    paths = {
        name: export_saved_model(model, os.path.join(root, name))
        for name, model in models.items()
    }
    return SimpleNamespace(root=root, models=models, paths=paths)


def keras_outputs(model, signature_name, inputs):
    """What the Keras model's public API returns for a signature's inputs."""
    from keras_genimg import editing
    from keras_genimg.export import generate_from_seeds

    if signature_name in ("serving_default", "decode"):
        return {"images": model.generate(z=inputs["z"])}
    if signature_name == "sample":
        return {"images": generate_from_seeds(model, inputs["seed"])}
    if signature_name == "encode":
        z_mean, z_log_var = model.encode(inputs["images"])
        return {"z_mean": z_mean, "z_log_var": z_log_var}
    if signature_name == "reconstruct":
        return {"images": model.reconstruct(inputs["images"])}
    # The signatures run the encode-decode method (inversion iterates).
    if signature_name == "denoise":
        return {
            "images": editing.denoise(
                model, inputs["images"], method="encode-decode"
            )
        }
    if signature_name == "inpaint":
        return {
            "images": editing.inpaint(
                model, inputs["images"], inputs["mask"], method="encode-decode"
            )
        }
    raise ValueError(f"No Keras equivalent of {signature_name!r}.")
