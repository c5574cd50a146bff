"""The serving signatures of a zoo model, and what Keras says they return.

Every signature takes and returns named float32 or int32 tensors with an
unknown batch dimension, whatever the model's dtype policy:

- every model: `serving_default` (`z` -> `images`) and `sample` (`seed` ->
  `images`, one image per int32 seed); `z` is shaped `(batch,
  *model.latent_shape)`: latent vectors, or a diffusion model's noise
  as images;
- models with an `encoder` (the VAEs) also: `decode` (as
  `serving_default`), `encode` (`images` -> `z_mean`, `z_log_var`),
  `reconstruct` (`images` -> `images`, through the posterior mean),
  `denoise` (the same, as `keras_genimg.editing.denoise` with
  `method="encode-decode"`) and `inpaint` (`images`, `mask` -> `images`,
  as `keras_genimg.editing.inpaint` with `method="encode-decode"` and
  `INPAINT_ITERATIONS` passes; the library's default, inversion,
  iterates and stays out of the graph);
- a conditional model, one with a `num_classes` attribute, takes an int32
  `label` beside `z`, `seed` or `images`, and is called as
  `model.latent_to_images(z, labels=label)` (its encoder as
  `model.encoder([images, label])`).

Images are float32 in [0, 1], channels last.
"""

import dataclasses
from collections.abc import Callable

import numpy as np
import tensorflow as tf
from keras import ops

from keras_genimg import editing
from keras_genimg.export.latents import latents_from_seeds, stateless_latents

PREDICT_METHOD = "tensorflow/serving/predict"
INPAINT_ITERATIONS = 10
DTYPE_NAMES = {tf.float32: "DT_FLOAT", tf.int32: "DT_INT32"}


@dataclasses.dataclass(frozen=True)
class Signature:
    """One serving signature.

    Attributes:
        name: str. The signature's key, e.g. `"sample"`.
        function: callable. Takes the input tensors in the order of
            `inputs`, returns a dict of named float32 tensors.
        inputs: tuple of named `tf.TensorSpec`, batch dimension `None`.
        outputs: dict. Output name to `(dtype name, shape)`, `-1` for the
            batch dimension.
        reference: callable. The same computation with the Keras model:
            a dict of numpy inputs to a dict of numpy outputs.
        num_classes: int or None. Number of classes of a `label` input.
    """

    name: str
    function: Callable
    inputs: tuple
    outputs: dict
    reference: Callable
    num_classes: int | None = None

    def table_entry(self):
        """This signature as an entry of a signature table."""
        return {
            "method": PREDICT_METHOD,
            "inputs": {
                spec.name: (
                    DTYPE_NAMES[spec.dtype],
                    tuple(-1 if d is None else d for d in spec.shape),
                )
                for spec in self.inputs
            },
            "outputs": dict(self.outputs),
        }

    def example_inputs(self, batch_size):
        """Small valid inputs: a dict of numpy arrays, `batch_size` items."""
        seeds = np.arange(batch_size, dtype="int32")
        inputs = {}
        for spec in self.inputs:
            if spec.name == "z":
                shape = tuple(spec.shape[1:])
                z = latents_from_seeds(seeds, int(np.prod(shape)))
                inputs["z"] = z.reshape(batch_size, *shape)
            elif spec.name == "seed":
                inputs["seed"] = seeds
            elif spec.name == "label":
                inputs["label"] = seeds % self.num_classes
            elif spec.name == "mask":
                # The left half of every image unknown.
                mask = np.ones((batch_size, *spec.shape[1:]), "float32")
                mask[:, :, : spec.shape[2] // 2] = 0.0
                inputs["mask"] = mask
            else:
                shape = (batch_size,) + tuple(spec.shape[1:])
                ramp = np.linspace(0.0, 1.0, int(np.prod(shape)), dtype="f4")
                inputs[spec.name] = ramp.reshape(shape)
        return inputs


def serving_signatures(model):
    """Builds the serving signatures of a zoo model.

    Args:
        model: a zoo model: `image_shape`, `latent_dim`, `latent_shape`
            and `latent_to_images(z)`, plus `encoder` for the
            autoencoders.

    Returns:
        A dict of signature name to `Signature`, `serving_default` first.

    Example:
    >>> from keras_genimg.models import VAE
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> list(serving_signatures(vae))  # doctest: +NORMALIZE_WHITESPACE
    ['serving_default', 'sample', 'decode', 'encode', 'reconstruct',
     'denoise', 'inpaint']
    """
    required = (
        "image_shape",
        "latent_dim",
        "latent_shape",
        "latent_to_images",
        "is_autoencoder",
        "is_diffusion",
    )
    for attribute in required:
        if not hasattr(model, attribute):
            raise ValueError(
                f"Cannot export {type(model).__name__}: a zoo model has "
                f"`{attribute}`."
            )
    signatures = _generator_signatures(model)
    if model.is_autoencoder:
        signatures.update(_autoencoder_signatures(model))
    return signatures


def signature_table(signatures):
    """The signature table that `signatures` should write."""
    return {name: s.table_entry() for name, s in signatures.items()}


# === Generators ===


def _generator_signatures(model):
    latent_dim = model.latent_dim
    z_shape = [None, *model.latent_shape]
    num_classes = getattr(model, "num_classes", None)
    z_spec = tf.TensorSpec(z_shape, tf.float32, name="z")
    seed_spec = tf.TensorSpec([None], tf.int32, name="seed")
    images = {"images": ("DT_FLOAT", (-1, *model.image_shape))}
    # Read now: the signatures take a fitted prior in as constants.
    prior = model.prior_parameters()

    def from_z(z, label=None):
        z = tf.reshape(_checked(z, z_shape, "z"), [-1, latent_dim])
        return {"images": _images(model, z, label)}

    def from_seed(seed, label=None):
        seed = _checked(seed, [None], "seed")
        z = stateless_latents(seed, latent_dim, prior)
        return {"images": _images(model, z, label)}

    def reference_z(inputs):
        z = np.reshape(inputs["z"], (-1, latent_dim))
        return {"images": _keras_images(model, z, inputs)}

    def reference_seed(inputs):
        z = latents_from_seeds(inputs["seed"], latent_dim, prior)
        return {"images": _keras_images(model, z, inputs)}

    if num_classes is None:
        inputs_z, inputs_seed = (z_spec,), (seed_spec,)

        def decode(z):
            return from_z(z)

        def sample(seed):
            return from_seed(seed)
    else:
        label_spec = tf.TensorSpec([None], tf.int32, name="label")
        inputs_z, inputs_seed = (z_spec, label_spec), (seed_spec, label_spec)

        def decode(z, label):
            return from_z(z, _check_labels(label, num_classes))

        def sample(seed, label):
            return from_seed(seed, _check_labels(label, num_classes))

    signatures = {}
    for name, function, inputs, reference in (
        ("serving_default", decode, inputs_z, reference_z),
        ("sample", sample, inputs_seed, reference_seed),
    ):
        signatures[name] = Signature(
            name, function, inputs, images, reference, num_classes
        )
    return signatures


def _checked(tensor, shape, name):
    """Fails a request whose input does not have `shape`, naming it.

    Servers feed tensors without checking them against the signature's
    shapes, so the graph checks them itself.
    """
    expected = [-1 if d is None else d for d in shape]
    actual = tf.shape(tensor)
    # Pad or cut the actual shape to the expected rank, so the sizes can
    # be compared whatever the rank.
    padded = tf.concat([actual, tf.fill([len(shape)], -2)], 0)[: len(shape)]
    ok = tf.logical_and(
        tf.equal(tf.size(actual), len(shape)),
        tf.reduce_all((padded == expected) | (tf.constant(expected) < 0)),
    )
    wanted = ", ".join("batch" if d is None else str(d) for d in shape)
    check = tf.debugging.Assert(
        ok,
        [f"Input {name} must have shape ({wanted}); received shape", actual],
        summarize=len(shape) + 4,
    )
    with tf.control_dependencies([check]):
        return tf.ensure_shape(tf.identity(tensor), shape)


def _images(model, z, label=None):
    if label is None:
        images = model.latent_to_images(z, training=False)
    else:
        images = model.latent_to_images(z, labels=label, training=False)
    return tf.cast(images, tf.float32)


def _keras_images(model, z, inputs):
    if "label" not in inputs:
        return model.generate(z=z)
    images = model.latent_to_images(z, labels=inputs["label"])
    return ops.convert_to_numpy(images).astype("float32")


def _check_labels(label, num_classes):
    label = _checked(label, [None], "label")
    checks = [
        tf.debugging.assert_non_negative(label, message="label < 0"),
        tf.debugging.assert_less(
            label, num_classes, message=f"label >= {num_classes}"
        ),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(label)


# === Autoencoders ===


def _autoencoder_signatures(model):
    image_shape = tuple(model.image_shape)
    num_classes = getattr(model, "num_classes", None)
    images_spec = tf.TensorSpec([None, *image_shape], tf.float32, name="images")
    latent = ("DT_FLOAT", (-1, model.latent_dim))
    images = ("DT_FLOAT", (-1, *image_shape))

    def encode_tensors(images, label=None):
        images = _checked(images, [None, *image_shape], "images")
        if label is None:
            z_mean, z_log_var = model.encoder(images, training=False)
        else:
            label = _check_labels(label, num_classes)
            # The encoder would take one label for a whole batch.
            same = tf.debugging.assert_equal(
                tf.shape(label)[0], tf.shape(images)[0],
                message="label and images must have the same batch size",
            )  # fmt: skip
            with tf.control_dependencies([same]):
                label = tf.identity(label)
            z_mean, z_log_var = model.encoder([images, label], training=False)
        return tf.cast(z_mean, tf.float32), tf.cast(z_log_var, tf.float32)

    def encode_outputs(images, label=None):
        z_mean, z_log_var = encode_tensors(images, label)
        return {"z_mean": z_mean, "z_log_var": z_log_var}

    def reconstruct_outputs(images, label=None):
        z_mean, _ = encode_tensors(images, label)
        return {"images": _images(model, z_mean, label)}

    def inpaint_outputs(images, mask, label=None):
        images = _checked(images, [None, *image_shape], "images")
        mask = _check_mask(mask, images, image_shape)
        known = tf.reduce_sum(mask, axis=(1, 2, 3), keepdims=True)
        known_mean = tf.reduce_sum(mask * images, axis=(1, 2, 3),
                                   keepdims=True) / known  # fmt: skip
        x = mask * images + (1.0 - mask) * known_mean
        for _ in range(INPAINT_ITERATIONS):
            x = (
                mask * images
                + (1.0 - mask) * reconstruct_outputs(x, label)["images"]
            )
        return {"images": x}

    mask_spec = tf.TensorSpec([None, *image_shape], tf.float32, name="mask")
    if num_classes is None:
        inputs = (images_spec,)
        inpaint_inputs = (images_spec, mask_spec)

        def encode(images):
            return encode_outputs(images)

        def reconstruct(images):
            return reconstruct_outputs(images)

        def inpaint(images, mask):
            return inpaint_outputs(images, mask)
    else:
        label_spec = tf.TensorSpec([None], tf.int32, name="label")
        inputs = (images_spec, label_spec)
        inpaint_inputs = (images_spec, mask_spec, label_spec)

        def encode(images, label):
            return encode_outputs(images, label)

        def reconstruct(images, label):
            return reconstruct_outputs(images, label)

        def inpaint(images, mask, label):
            return inpaint_outputs(images, mask, label)

    def labels_of(inputs):
        return [inputs["label"]] if "label" in inputs else []

    def reference_encode(inputs):
        z_mean, z_log_var = model.encode(inputs["images"], *labels_of(inputs))
        return {"z_mean": z_mean, "z_log_var": z_log_var}

    def reference_reconstruct(inputs):
        return {
            "images": model.reconstruct(inputs["images"], *labels_of(inputs))
        }

    def reference_inpaint(inputs):
        restored = editing.inpaint(
            model, inputs["images"], inputs["mask"], *labels_of(inputs),
            method="encode-decode", iterations=INPAINT_ITERATIONS,
        )  # fmt: skip
        return {"images": restored}

    decode = _generator_signatures(model)["serving_default"]
    reconstruct_signature = Signature(
        "reconstruct",
        reconstruct,
        inputs,
        {"images": images},
        reference_reconstruct,
        num_classes,
    )
    return {
        "decode": dataclasses.replace(decode, name="decode"),
        "encode": Signature(
            "encode",
            encode,
            inputs,
            {"z_mean": latent, "z_log_var": latent},
            reference_encode,
            num_classes,
        ),
        "reconstruct": reconstruct_signature,
        "denoise": dataclasses.replace(reconstruct_signature, name="denoise"),
        "inpaint": Signature(
            "inpaint",
            inpaint,
            inpaint_inputs,
            {"images": images},
            reference_inpaint,
            num_classes,
        ),
    }


def _check_mask(mask, images, image_shape):
    """Fails a request whose mask is not a 0/1 mask with a known and an
    unknown pixel in each image, of the images' shape."""
    mask = _checked(mask, [None, *image_shape], "mask")
    per_image = tf.reduce_sum(mask, axis=(1, 2, 3))
    pixels = float(np.prod(image_shape))
    checks = [
        tf.debugging.assert_equal(
            tf.shape(mask)[0], tf.shape(images)[0],
            message="mask and images must have the same batch size",
        ),
        tf.debugging.Assert(
            tf.reduce_all((mask == 0.0) | (mask == 1.0)),
            ["mask must hold only 0 (unknown) and 1 (known)"],
        ),
        tf.debugging.Assert(
            tf.reduce_all((per_image >= 1.0) & (per_image < pixels)),
            ["mask must mark at least one pixel known and one unknown in "
             "every image"],
        ),
    ]  # fmt: skip
    with tf.control_dependencies(checks):
        return tf.identity(mask)
