"""Base class of the zoo's class-conditional image generators."""

import keras
import numpy as np
from keras import ops

from keras_genimg.models.generative_model import GenerativeModel


class ConditionalGenerativeModel(GenerativeModel):
    """A `GenerativeModel` whose images also depend on a class label.

    Subclasses implement `latent_to_images(z, labels)`. `generate` takes
    `labels` beside `z` or `num_images`; without them it cycles through
    the classes (image `i` gets class `i % num_classes`), so tools written
    for unconditional models (sample grids, metrics, `genimg sample`) get
    a balanced draw.

    Args:
        image_shape: tuple. `(height, width, channels)` of the images.
        latent_dim: int. Size of the latent vector.
        num_classes: int. Number of classes; labels are ints in
            `[0, num_classes)`.
        seed: int or None. Seed of the model's own `SeedGenerator`.
        **kwargs: passed to `keras.Model`.
    """

    def __init__(
        self, image_shape, latent_dim, num_classes, seed=None, **kwargs
    ):
        super().__init__(image_shape, latent_dim, seed=seed, **kwargs)
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(
                f"`num_classes` must be an int >= 2. Received: {num_classes!r}"
            )
        self.num_classes = int(num_classes)

    # === Sampling ===

    def latent_to_images(self, z, labels=None, training=False):
        """Maps latents `(batch, latent_dim)` and int labels `(batch,)` to
        images in [0, 1]."""
        raise NotImplementedError

    def latent_to_images_compiled(self, z, labels):
        """`latent_to_images` for inference, compiled once and reused.

        Args:
            z: float32 latent vectors `(batch, latent_dim)`.
            labels: int32 labels `(batch,)`.

        Returns:
            The images as a tensor, float32 in [0, 1].
        """
        if self._compiled_latent_to_images is None:

            def function(z, labels):
                return self.latent_to_images(z, labels=labels)

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                specs = [
                    tf.TensorSpec((None, self.latent_dim), tf.float32),
                    tf.TensorSpec((None,), tf.int32),
                ]
                function = tf.function(function, input_signature=specs)
            self._compiled_latent_to_images = function
        return self._compiled_latent_to_images(z, labels)

    def generate(
        self, num_images=None, z=None, seed=None, labels=None, batch_size=None
    ):
        """Generates images of the requested classes.

        Give either `z` or `num_images` (with an optional `seed`).

        Args:
            num_images: int or None. How many images to draw from the prior.
            z: array or None. Latent vectors `(batch, latent_dim)`.
            seed: int or None. Seed of the prior draw when `z` is None.
            labels: int, int array `(batch,)` or None. The class of each
                image; one int gives every image that class. Defaults to
                None: image `i` gets class `i % num_classes`.
            batch_size: int or None. Images computed per call of the
                network. Defaults to 256.

        Returns:
            A float32 numpy array `(batch, H, W, C)` with values in [0, 1].
        """
        z = self._latent_for(num_images, z, seed)
        labels = self.check_labels(labels, len(z))
        return self._generate_in_batches(batch_size, z, labels)

    # === Input checks ===

    def check_labels(self, labels, num_images):
        """Returns labels as int32 numpy `(num_images,)` or raises.

        Args:
            labels: int, int array `(num_images,)` or None (classes in
                turn: `0, 1, ..., num_classes - 1, 0, ...`).
            num_images: int. How many images the labels are for.

        Returns:
            An int32 numpy array of shape `(num_images,)`.

        Example:
        >>> from keras_genimg.models import ConditionalGAN
        >>> gan = ConditionalGAN((16, 16, 1), num_classes=3, filters=8)
        >>> gan.check_labels(None, 5).tolist(), gan.check_labels(2, 2).tolist()
        ([0, 1, 2, 0, 1], [2, 2])
        """
        if labels is None:
            return np.arange(num_images, dtype="int32") % self.num_classes
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((num_images,), labels)
        if labels.dtype.kind not in "iu" or labels.shape != (num_images,):
            raise ValueError(
                f"`labels` must be one int or {num_images} ints, one per "
                f"image. Received shape {labels.shape} and dtype "
                f"{labels.dtype}."
            )
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"`labels` must be in [0, {self.num_classes}). Received "
                f"values from {labels.min()} to {labels.max()}."
            )
        return labels.astype("int32")

    def check_training_data(self, x, y=None):
        """Raises unless `fit` data holds images and labels in range.

        Args:
            x: images `(batch, H, W, C)`, or a dataset of
                `(images, labels)` batches.
            y: int labels `(batch,)` or `(batch, 1)` in
                `[0, num_classes)`, or None when `x` is a dataset.
        """
        super().check_training_data(x, y)
        if getattr(x, "element_spec", None) is not None or y is None:
            if isinstance(x, np.ndarray):
                self.require_labels(None)
            return
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        self.check_labels(labels, len(x))

    def step_labels(self, labels):
        """The checked labels of a training batch; see `require_labels`."""
        return self.require_labels(labels)

    def require_labels(self, labels):
        """Fails a training batch that carries no labels."""
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} trains on labelled data: pass "
                "batches of `(images, labels)` (e.g. `load_images(..., "
                "with_labels=True)` or `fit(x, y)`)."
            )
        return ops.cast(ops.reshape(labels, (-1,)), "int32")

    # === Config ===

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
