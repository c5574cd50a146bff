"""Variational autoencoder (Kingma & Welling, 2013), with beta-VAE weight.

`VAETraining` holds its losses, metrics and training step, which the
conditional VAE shares.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_genimg.models import networks
from keras_genimg.models.generative_model import (
    GenerativeModel,
    _check_count,
    network_inputs,
)

RECONSTRUCTION_LOSSES = ("bce", "mse")


class VAETraining:
    """The VAE's losses, metrics and steps, shared with `ConditionalVAE`.

    A mixin for a `GenerativeModel`. The model passes `beta`,
    `reconstruction_loss` and `filters` to `__init__` by keyword and
    implements `build_encoder()` and `build_decoder()`, which are called
    under the model's dtype policy. The networks are called on
    `network_inputs(x, labels)`, with the batch's `step_labels`: None for
    an unconditional model, so they see `x` alone.
    """

    def __init__(self, *args, beta, reconstruction_loss, filters, **kwargs):
        super().__init__(*args, **kwargs)
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
            self.encoder = self.build_encoder()
            self.decoder = self.build_decoder()

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

    # === Losses ===

    def reparameterize(self, z_mean, z_log_var):
        """Draws `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`."""
        eps = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def _compute_losses(self, images, labels, training):
        """`(loss, reconstruction_loss, kl_loss)` of a batch, batch means."""
        images = ops.cast(images, "float32")
        z_mean, z_log_var = self.encoder(
            network_inputs(images, labels), training=training
        )
        z = self.reparameterize(z_mean, z_log_var)
        logits = self.decoder(network_inputs(z, labels), training=training)
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
        labels = self.step_labels(labels)
        with tf.GradientTape() as tape:
            loss, reconstruction, kl = self._compute_losses(
                images, labels, training=True
            )
            scaled_loss = self.loss_for_gradients(self.optimizer, loss)
        grads = tape.gradient(scaled_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_metrics(loss, reconstruction, kl)

    def test_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        return self._update_metrics(
            *self._compute_losses(images, labels, training=False)
        )

    def _update_metrics(self, loss, reconstruction, kl):
        self.loss_tracker.update_state(loss)
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        return self.metric_logs()

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


@keras.saving.register_keras_serializable(package="keras_genimg")
class VAE(VAETraining, GenerativeModel):
    """Convolutional variational autoencoder trained with `model.fit`.

    The encoder maps an image to the mean and log-variance of a diagonal
    Gaussian posterior; a latent vector is drawn with the reparameterisation
    trick from the model's own `keras.random.SeedGenerator`, and the decoder
    maps it back to per-pixel logits. The loss per image is

        reconstruction (summed over pixels) + beta * KL(q(z|x) || N(0, I)),

    with the KL divergence in closed form. `beta=1` is the VAE of Kingma &
    Welling (2013); `beta > 1` is the beta-VAE of Higgins et al. (2017),
    which trades reconstruction quality for a more factorised latent space.

    Images are float32 in [0, 1], channels last. Batches may carry labels,
    which are ignored.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        latent_dim: int. Size of the latent space. Defaults to 16.
        beta: float. Weight of the KL term. Defaults to 1.0.
        reconstruction_loss: str. `"bce"` (Bernoulli likelihood, the
            default) or `"mse"` (sum of squared errors).
        filters: int. Width of the first encoder convolution; deeper layers
            double it. Defaults to 32.
        seed: int or None. Seed of the sampling noise.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import VAE
    >>> images = np.random.default_rng(0).random((64, 28, 28, 1), "float32")
    >>> vae = VAE(image_shape=(28, 28, 1), latent_dim=8, seed=0)
    >>> vae.compile()
    >>> history = vae.fit(images, epochs=1, batch_size=32, verbose=0)
    >>> vae.generate(num_images=4, seed=1).shape
    (4, 28, 28, 1)
    """

    def __init__(
        self,
        image_shape,
        latent_dim=16,
        beta=1.0,
        reconstruction_loss="bce",
        filters=32,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            image_shape,
            latent_dim,
            seed=seed,
            beta=beta,
            reconstruction_loss=reconstruction_loss,
            filters=filters,
            **kwargs,
        )

    # === Layers ===

    def build_encoder(self):
        return networks.build_vae_encoder(
            self.image_shape, self.latent_dim, self.filters
        )

    def build_decoder(self):
        return networks.build_vae_decoder(
            self.image_shape, self.latent_dim, self.filters
        )

    # === Forward passes ===

    def call(self, images, training=False):
        """Reconstructs `images` through a posterior sample."""
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.reparameterize(z_mean, z_log_var)
        return ops.sigmoid(self.decoder(z, training=training))

    def latent_to_images(self, z, training=False):
        return ops.sigmoid(self.decoder(z, training=training))

    def compute_losses(self, images, training=False):
        """Returns `(loss, reconstruction_loss, kl_loss)`, batch means."""
        return self._compute_losses(images, None, training)

    # === Public API ===

    def encode(self, images):
        """Encodes images to the posterior's parameters.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].

        Returns:
            `(z_mean, z_log_var)`, float32 numpy arrays `(batch, latent_dim)`.
        """
        images = self.check_images(images)
        z_mean, z_log_var = self.encoder(images, training=False)
        return ops.convert_to_numpy(z_mean), ops.convert_to_numpy(z_log_var)

    def decode(self, z):
        """Decodes latent vectors `(batch, latent_dim)` to images in [0, 1]."""
        return self.generate(z=z)

    def reconstruct(self, images):
        """Encodes and decodes images through the posterior mean.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].

        Returns:
            A float32 numpy array of the same shape, in [0, 1].
        """
        z_mean, _ = self.encode(images)
        return self.decode(z_mean)
