"""Base class shared by the zoo's latent-variable image generators."""

import contextlib

import keras
import numpy as np
from keras import ops

from keras_genimg.models.networks import validate_image_shape

GENERATE_BATCH_SIZE = 256


class GenerativeModel(keras.Model):
    """A `keras.Model` that maps latent vectors to images in [0, 1].

    Subclasses build their networks in `__init__` and implement
    `latent_to_images(z)`, returning float32 images in [0, 1]. This class
    provides the public sampling API (`sample_latent`, `generate`), the
    input checks behind it, and the config entries every model shares.

    Args:
        image_shape: tuple. `(height, width, channels)` of the images.
        latent_dim: int. Size of the latent vector.
        seed: int or None. Seed of the model's own `SeedGenerator`, used
            for the randomness inside training steps.
        **kwargs: passed to `keras.Model` (`name`, `dtype`, ...).
    """

    def __init__(self, image_shape, latent_dim, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = validate_image_shape(image_shape)
        if not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(
                f"`latent_dim` must be a positive int. Received: {latent_dim!r}"
            )
        self.latent_dim = int(latent_dim)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Keras saves a seed generator's state with neither `save` nor
        # `save_weights`; tracked as a weight of the model, it is saved and
        # restored, so a resumed run draws the noise an unbroken one would.
        self.seed_state = self.seed_generator.state
        self._compiled_latent_to_images = None

    def policy_scope(self):
        """A scope that builds layers with this model's dtype policy.

        Subclasses build their networks inside it, so a model created
        under `mixed_bfloat16` (or loaded from a `.keras` file saved by
        one) computes in bfloat16 in every layer, whatever the global
        policy is when it is built.
        """
        return dtype_policy_scope(self.dtype_policy)

    # === Sampling ===

    def latent_to_images(self, z, training=False):
        """Maps latent vectors `(batch, latent_dim)` to images in [0, 1]."""
        raise NotImplementedError

    def latent_to_images_compiled(self, z):
        """`latent_to_images` for inference, compiled once and reused.

        On the TensorFlow backend this is a `tf.function` traced once for
        any batch size, so sampling one image costs a graph call rather
        than an eager pass through every layer.

        Args:
            z: float32 latent vectors `(batch, latent_dim)`.

        Returns:
            The images as a tensor, float32 in [0, 1].
        """
        if self._compiled_latent_to_images is None:

            def function(z):
                return self.latent_to_images(z)

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                spec = tf.TensorSpec((None, self.latent_dim), tf.float32)
                # A function of its own per model: TensorFlow counts traces
                # per Python function and would warn about "retracing" when
                # a process builds many models.
                function = tf.function(function, input_signature=[spec])
            self._compiled_latent_to_images = function
        return self._compiled_latent_to_images(z)

    def sample_latent(self, num_images, seed=None):
        """Draws latent vectors from the prior N(0, I).

        Args:
            num_images: int. How many vectors to draw.
            seed: int or None. The same seed gives the same vectors.

        Returns:
            A float32 numpy array of shape `(num_images, latent_dim)`.
        """
        num_images = _check_count("num_images", num_images)
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_images, self.latent_dim)).astype(
            "float32"
        )

    def generate(self, num_images=None, z=None, seed=None, batch_size=None):
        """Generates images from latent vectors or from the prior.

        Give either `z` or `num_images` (with an optional `seed`).

        Args:
            num_images: int or None. How many images to draw from the prior.
            z: array or None. Latent vectors `(batch, latent_dim)`.
            seed: int or None. Seed of the prior draw when `z` is None.
            batch_size: int or None. Images computed per call of the
                network. Defaults to 256.

        Returns:
            A float32 numpy array `(batch, H, W, C)` with values in [0, 1].
        """
        if z is None:
            if num_images is None:
                raise ValueError("Pass either `num_images` or `z`.")
            z = self.sample_latent(num_images, seed=seed)
        elif num_images is not None and num_images != len(z):
            raise ValueError(
                f"`num_images`={num_images} does not match the {len(z)} "
                "latent vectors in `z`; pass only one of them."
            )
        z = self.check_latent(z)
        batch_size = _check_count(
            "batch_size", batch_size or GENERATE_BATCH_SIZE
        )
        chunks = [
            ops.convert_to_numpy(
                self.latent_to_images_compiled(z[i : i + batch_size])
            )
            for i in range(0, len(z), batch_size)
        ]
        return np.concatenate(chunks).astype("float32")

    # === Input checks ===

    def check_latent(self, z):
        """Returns `z` as float32 numpy `(batch, latent_dim)` or raises."""
        z = np.asarray(z)
        if not np.issubdtype(z.dtype, np.floating):
            raise ValueError(
                f"Latent vectors must be floating point. Received dtype "
                f"{z.dtype}."
            )
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(
                f"Latent vectors must have shape (batch, {self.latent_dim}) "
                f"with batch >= 1. Received shape {z.shape}."
            )
        return z.astype("float32")

    def check_images(self, images, argument="images"):
        """Returns images as float32 numpy `(batch, H, W, C)` or raises."""
        images = np.asarray(images)
        if not np.issubdtype(images.dtype, np.floating):
            raise ValueError(
                f"`{argument}` must be floating point in [0, 1] "
                f"(divide uint8 images by 255). Received dtype {images.dtype}."
            )
        if images.ndim != 4 or images.shape[1:] != self.image_shape:
            raise ValueError(
                f"`{argument}` must have shape (batch, "
                f"{', '.join(map(str, self.image_shape))}). "
                f"Received shape {images.shape}."
            )
        return images.astype("float32")

    # === Config ===

    def build_optimizers(self):
        """Creates the optimizer variables, so saved state can load."""
        self.optimizer.build(self.trainable_variables)

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        # Built now, a compiled model saves and restores its optimizer
        # state whether or not it has trained yet.
        self.build_optimizers()

    def loss_scaled(self, optimizer):
        """Wraps `optimizer` in a `LossScaleOptimizer` under float16.

        float16 gradients underflow without loss scaling; bfloat16 has
        float32's range and needs none. Keras wraps only `self.optimizer`
        on its own, so models with more optimizers wrap the others here.
        """
        optimizer = keras.optimizers.get(optimizer)
        if self.dtype_policy.name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def load_own_variables(self, store):
        # Files saved before the seed state was kept hold no variable of
        # the model itself: load them with a fresh state.
        if len(store.keys()) == 0:
            return
        super().load_own_variables(store)

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim,
                "seed": self.seed,
            }
        )
        return config


@contextlib.contextmanager
def dtype_policy_scope(policy):
    """Sets Keras' global dtype policy inside the block, then restores it.

    Args:
        policy: str, `keras.DTypePolicy` or None (leave the policy as is).

    Example:
    >>> with dtype_policy_scope("mixed_bfloat16"):
    ...     layer = keras.layers.Dense(2)
    >>> layer.compute_dtype, layer.variable_dtype
    ('bfloat16', 'float32')
    """
    previous = keras.mixed_precision.dtype_policy()
    if policy is not None:
        keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _check_count(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int. Received: {value!r}"
        )
    return int(value)


def to_signed(images):
    """Maps images from [0, 1] to [-1, 1]."""
    return images * 2.0 - 1.0


def to_unit(images):
    """Maps images from [-1, 1] to [0, 1]."""
    return (images + 1.0) * 0.5
