"""Conditional GAN (Mirza & Osindero, 2014) with a projection discriminator."""

import keras
from keras import ops

from keras_genimg.models import conditional_networks
from keras_genimg.models.conditional_model import ConditionalGenerativeModel
from keras_genimg.models.dcgan import DCGANTraining
from keras_genimg.models.generative_model import to_unit


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalGAN(DCGANTraining, ConditionalGenerativeModel):
    """Class-conditional DCGAN trained with `model.fit` on labelled images.

    The generator sees the latent vector with the one-hot class label
    concatenated (Mirza & Osindero, 2014), and the label again as one
    constant map per class on its base grid. The discriminator is a
    projection discriminator (Miyato & Koyama, 2018): its logit is
    `dense(h) + embed(y) . h` on the image features `h`, so it judges
    whether an image is a real image *of class y*. Training follows the
    DCGAN: each step updates the discriminator on the real batch and on
    generated images of the same labels, then the generator with the
    non-saturating loss on a fresh latent batch. Networks work in
    [-1, 1]; images going in and out are float32 in [0, 1].

    Batches are `(images, labels)` with int labels in `[0, num_classes)`.

    Logged metrics: `d_loss`, `g_loss`, `real_accuracy` and
    `fake_accuracy`, as for the DCGAN.

    Reference: Mirza & Osindero, "Conditional Generative Adversarial Nets",
    2014; Miyato & Koyama, "cGANs with Projection Discriminator", 2018.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to 10.
        latent_dim: int. Size of the latent vector. Defaults to 100.
        filters: int. Width of the networks. Defaults to 64.
        label_smoothing: float. One-sided label smoothing of the real
            targets. Defaults to 0.0.
        seed: int or None. Seed of the latent noise drawn during training.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import ConditionalGAN
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((64, 16, 16, 1), "float32")
    >>> labels = rng.integers(0, 3, 64)
    >>> gan = ConditionalGAN((16, 16, 1), num_classes=3, latent_dim=8, seed=0)
    >>> gan.compile()
    >>> history = gan.fit(images, labels, batch_size=32, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'fake_accuracy', 'g_loss', 'real_accuracy']
    >>> gan.generate(num_images=4, labels=[0, 1, 2, 2], seed=1).shape
    (4, 16, 16, 1)
    """

    # The generator's update scores images of a fresh latent batch.
    FRESH_GENERATOR_BATCH = True

    def __init__(
        self,
        image_shape,
        num_classes=10,
        latent_dim=100,
        filters=64,
        label_smoothing=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            image_shape,
            latent_dim,
            num_classes,
            seed=seed,
            filters=filters,
            label_smoothing=label_smoothing,
            **kwargs,
        )

    # === Layers ===

    def build_generator(self):
        return conditional_networks.build_conditional_generator(
            self.image_shape, self.latent_dim, self.num_classes, self.filters
        )

    def build_discriminator(self):
        return conditional_networks.build_projection_discriminator(
            self.image_shape, self.num_classes, self.filters
        )

    # === Forward passes ===

    def call(self, inputs, training=False):
        """Generates images in [0, 1] from `(z, labels)`."""
        z, labels = inputs
        return self.latent_to_images(z, labels=labels, training=training)

    def latent_to_images(self, z, labels=None, training=False):
        z = ops.convert_to_tensor(z, "float32")
        labels = ops.convert_to_tensor(labels, "int32")
        images = self.generator([z, labels], training=training)
        return ops.cast(to_unit(images), "float32")
