"""Conditional variational autoencoder (Sohn, Lee & Yan, 2015)."""

import keras
import tensorflow as tf
from keras import ops

from keras_genimg.models import conditional_networks
from keras_genimg.models.conditional_model import ConditionalGenerativeModel
from keras_genimg.models.generative_model import _check_count
from keras_genimg.models.vae import RECONSTRUCTION_LOSSES


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalVAE(ConditionalGenerativeModel):
    """Conditional VAE trained with `model.fit` on labelled images.

    As the `VAE`, but the encoder `q(z | x, y)` and the decoder
    `p(x | z, y)` both see the class label `y`: the encoder as one
    constant map per class beside the image channels, the decoder as a
    one-hot vector beside `z`. The label carries the class, so the
    latent space is left to encode the style (slant, stroke width, ...);
    decoding one `z` with different labels draws the same style in
    different classes. The loss per image is

        reconstruction (summed over pixels) + beta * KL(q(z|x,y) || N(0, I)).

    Batches are `(images, labels)` with int labels in `[0, num_classes)`.

    Logged metrics: `loss`, `reconstruction_loss` and `kl_loss`.

    Reference: Sohn, Lee & Yan, "Learning Structured Output Representation
    using Deep Conditional Generative Models", NeurIPS 2015.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        latent_dim: int. Size of the latent space. Defaults to 16.
        beta: float. Weight of the KL term. Defaults to 1.0.
        reconstruction_loss: str. `"bce"` (the default) or `"mse"`.
        filters: int. Width of the first encoder convolution; deeper layers
            double it. Defaults to 32.
        seed: int or None. Seed of the sampling noise.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import ConditionalVAE
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((64, 16, 16, 1), "float32")
    >>> labels = rng.integers(0, 3, 64)
    >>> cvae = ConditionalVAE((16, 16, 1), num_classes=3, latent_dim=4)
    >>> cvae.compile()
    >>> history = cvae.fit(images, labels, batch_size=32, verbose=0)
    >>> z_mean, _ = cvae.encode(images[:2], labels[:2])
    >>> cvae.generate(z=z_mean, labels=[2, 2]).shape
    (2, 16, 16, 1)
    """

    def __init__(
        self,
        image_shape,
        num_classes=10,
        latent_dim=16,
        beta=1.0,
        reconstruction_loss="bce",
        filters=32,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            image_shape, latent_dim, num_classes, seed=seed, **kwargs
        )
        if reconstruction_loss not in RECONSTRUCTION_LOSSES:
            raise ValueError(
                f"Unknown `reconstruction_loss` {reconstruction_loss!r}. "
                f"Expected one of: {', '.join(RECONSTRUCTION_LOSSES)}."
            )
        if beta < 0:
            raise ValueError(f"`beta` must be >= 0. Received: {beta!r}")
        self.beta = float(beta)
        self.reconstruction_loss = reconstruction_loss
        self.filters = _check_count("filters", filters)

        # === Layers ===
        with self.policy_scope():
            self.encoder = conditional_networks.build_conditional_encoder(
                self.image_shape, self.latent_dim, self.num_classes, filters
            )
            self.decoder = conditional_networks.build_conditional_decoder(
                self.image_shape, self.latent_dim, self.num_classes, filters
            )

        # === Metrics ===
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        # The networks are built above, so the model is too.
        self.built = True

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def compile(self, optimizer=None, **kwargs):
        """Configures training. `optimizer` defaults to `Adam(1e-3)`."""
        if optimizer is None:
            optimizer = keras.optimizers.Adam(1e-3)
        super().compile(optimizer=optimizer, **kwargs)

    # === Forward passes ===

    def call(self, inputs, training=False):
        """Reconstructs `(images, labels)` through a posterior sample."""
        images, labels = inputs
        labels = ops.convert_to_tensor(labels, "int32")
        z_mean, z_log_var = self.encoder([images, labels], training=training)
        z = self.reparameterize(z_mean, z_log_var)
        return ops.sigmoid(self.decoder([z, labels], training=training))

    def reparameterize(self, z_mean, z_log_var):
        """Draws `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`."""
        eps = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def latent_to_images(self, z, labels=None, training=False):
        z = ops.convert_to_tensor(z, "float32")
        labels = ops.convert_to_tensor(labels, "int32")
        logits = self.decoder([z, labels], training=training)
        return ops.cast(ops.sigmoid(logits), "float32")

    def compute_losses(self, images, labels, training=False):
        """Returns `(loss, reconstruction_loss, kl_loss)`, batch means."""
        images = ops.cast(images, "float32")
        labels = ops.cast(labels, "int32")
        z_mean, z_log_var = self.encoder([images, labels], training=training)
        z = self.reparameterize(z_mean, z_log_var)
        logits = self.decoder([z, labels], training=training)
        logits = ops.cast(logits, "float32")
        if self.reconstruction_loss == "bce":
            per_pixel = ops.binary_crossentropy(
                images, logits, from_logits=True
            )
        else:
            per_pixel = ops.square(images - ops.sigmoid(logits))
        reconstruction = ops.mean(ops.sum(per_pixel, axis=(1, 2, 3)))
        kl = -0.5 * ops.sum(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1
        )
        kl = ops.mean(kl)
        return reconstruction + self.beta * kl, reconstruction, kl

    # === Training ===

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.require_labels(labels)
        with tf.GradientTape() as tape:
            loss, reconstruction, kl = self.compute_losses(
                images, labels, training=True
            )
            scaled_loss = self.loss_for_gradients(self.optimizer, loss)
        grads = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_metrics(loss, reconstruction, kl)

    def test_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.require_labels(labels)
        return self._update_metrics(*self.compute_losses(images, labels))

    def _update_metrics(self, loss, reconstruction, kl):
        self.loss_tracker.update_state(loss)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        return self.metric_logs()

    # === Public API ===

    def encode(self, images, labels):
        """Encodes labelled images to the posterior's parameters.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].
            labels: int or int array `(batch,)`. The images' classes.

        Returns:
            `(z_mean, z_log_var)`, float32 numpy arrays `(batch, latent_dim)`.
        """
        images = self.check_images(images)
        labels = self.check_labels(labels, len(images))
        z_mean, z_log_var = self.encoder(
            [ops.convert_to_tensor(images), ops.convert_to_tensor(labels)],
            training=False,
        )
        return ops.convert_to_numpy(z_mean), ops.convert_to_numpy(z_log_var)

    def decode(self, z, labels):
        """Decodes latents `(batch, latent_dim)` of the given classes to
        images in [0, 1]."""
        return self.generate(z=z, labels=labels)

    def reconstruct(self, images, labels):
        """Encodes and decodes labelled images through the posterior mean.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].
            labels: int or int array `(batch,)`. The images' classes.

        Returns:
            A float32 numpy array of the same shape, in [0, 1].
        """
        z_mean, _ = self.encode(images, labels)
        return self.decode(z_mean, labels)

    # === Config ===

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta": self.beta,
                "reconstruction_loss": self.reconstruction_loss,
                "filters": self.filters,
            }
        )
        return config
