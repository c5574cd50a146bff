"""Conditional variational autoencoder (Sohn, Lee & Yan, 2015)."""

import keras
from keras import ops

from keras_genimg.models import conditional_networks
from keras_genimg.models.conditional_model import ConditionalGenerativeModel
from keras_genimg.models.vae import VAETraining


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalVAE(VAETraining, ConditionalGenerativeModel):
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
            image_shape,
            latent_dim,
            num_classes,
            seed=seed,
            beta=beta,
            reconstruction_loss=reconstruction_loss,
            filters=filters,
            **kwargs,
        )

    # === Layers ===

    def build_encoder(self):
        return conditional_networks.build_conditional_encoder(
            self.image_shape, self.latent_dim, self.num_classes, self.filters
        )

    def build_decoder(self):
        return conditional_networks.build_conditional_decoder(
            self.image_shape, self.latent_dim, self.num_classes, self.filters
        )

    # === Forward passes ===

    def call(self, inputs, training=False):
        """Reconstructs `(images, labels)` through a posterior sample."""
        images, labels = inputs
        labels = ops.convert_to_tensor(labels, "int32")
        z_mean, z_log_var = self.encoder([images, labels], training=training)
        z = self.reparameterize(z_mean, z_log_var)
        return ops.sigmoid(self.decoder([z, labels], training=training))

    def latent_to_images(self, z, labels=None, training=False):
        z = ops.convert_to_tensor(z, "float32")
        labels = ops.convert_to_tensor(labels, "int32")
        logits = self.decoder([z, labels], training=training)
        return ops.cast(ops.sigmoid(logits), "float32")

    def compute_losses(self, images, labels, training=False):
        """Returns `(loss, reconstruction_loss, kl_loss)`, batch means."""
        return self._compute_losses(images, ops.cast(labels, "int32"), training)

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
