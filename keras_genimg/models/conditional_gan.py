"""Conditional GAN (Mirza & Osindero, 2014) with a projection discriminator."""

import keras
import tensorflow as tf
from keras import ops

from keras_genimg.models import conditional_networks
from keras_genimg.models.adversarial import AdversarialOptimizers
from keras_genimg.models.conditional_model import ConditionalGenerativeModel
from keras_genimg.models.dcgan import default_gan_optimizer
from keras_genimg.models.generative_model import (
    _check_count,
    to_signed,
    to_unit,
)


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalGAN(AdversarialOptimizers, ConditionalGenerativeModel):
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
            image_shape, latent_dim, num_classes, seed=seed, **kwargs
        )
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                "`label_smoothing` must be in [0, 1). "
                f"Received: {label_smoothing!r}"
            )
        self.filters = _check_count("filters", filters)
        self.label_smoothing = float(label_smoothing)

        # === Layers ===
        with self.policy_scope():
            self.generator = conditional_networks.build_conditional_generator(
                self.image_shape, self.latent_dim, self.num_classes, filters
            )
            self.discriminator = (
                conditional_networks.build_projection_discriminator(
                    self.image_shape, self.num_classes, filters
                )
            )

        # === Metrics ===
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.real_accuracy = keras.metrics.BinaryAccuracy(
            name="real_accuracy", threshold=0.0
        )
        self.fake_accuracy = keras.metrics.BinaryAccuracy(
            name="fake_accuracy", threshold=0.0
        )
        # The networks are built above, so the model is too.
        self.built = True

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.real_accuracy,
            self.fake_accuracy,
        ]

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training.

        Args:
            d_optimizer: optimizer of the discriminator. Defaults to
                `Adam(2e-4, beta_1=0.5)`.
            g_optimizer: optimizer of the generator, also available as
                `model.optimizer`. Defaults to `Adam(2e-4, beta_1=0.5)`.
            **kwargs: passed to `keras.Model.compile`.
        """
        self.compile_adversarial(
            d_optimizer, g_optimizer, default_gan_optimizer, **kwargs
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

    def discriminator_loss(self, real_logits, fake_logits):
        """Sigmoid cross-entropy: real labelled real, fake labelled fake."""
        real_labels = ops.full_like(real_logits, 1.0 - self.label_smoothing)
        real = ops.binary_crossentropy(real_labels, real_logits, True)
        fake = ops.binary_crossentropy(
            ops.zeros_like(fake_logits), fake_logits, True
        )
        return ops.mean(real) + ops.mean(fake)

    def generator_loss(self, fake_logits):
        """Non-saturating generator loss, `-log D(G(z, y), y)`."""
        return ops.mean(
            ops.binary_crossentropy(
                ops.ones_like(fake_logits), fake_logits, from_logits=True
            )
        )

    def sample_noise(self, batch_size):
        return keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )

    # === Training ===

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.require_labels(labels)
        real = to_signed(ops.cast(images, "float32"))
        batch_size = ops.shape(real)[0]

        z = self.sample_noise(batch_size)
        with tf.GradientTape() as tape:
            fake = self.generator([z, labels], training=True)
            real_logits = self.discriminator([real, labels], training=True)
            fake_logits = self.discriminator([fake, labels], training=True)
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            scaled_loss = self.loss_for_gradients(self.d_optimizer, d_loss)
        d_weights = self.discriminator.trainable_weights
        grads = tape.gradient(scaled_loss, d_weights)
        self.d_optimizer.apply_gradients(zip(grads, d_weights))

        z = self.sample_noise(batch_size)
        with tf.GradientTape() as tape:
            fake = self.generator([z, labels], training=True)
            g_loss = self.generator_loss(
                self.discriminator([fake, labels], training=True)
            )
            scaled_loss = self.loss_for_gradients(self.optimizer, g_loss)
        g_weights = self.generator.trainable_weights
        grads = tape.gradient(scaled_loss, g_weights)
        self.optimizer.apply_gradients(zip(grads, g_weights))

        return self._update_metrics(d_loss, g_loss, real_logits, fake_logits)

    def test_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.require_labels(labels)
        real = to_signed(ops.cast(images, "float32"))
        z = self.sample_noise(ops.shape(real)[0])
        fake = self.generator([z, labels])
        real_logits = self.discriminator([real, labels])
        fake_logits = self.discriminator([fake, labels])
        return self._update_metrics(
            self.discriminator_loss(real_logits, fake_logits),
            self.generator_loss(fake_logits),
            real_logits,
            fake_logits,
        )

    def _update_metrics(self, d_loss, g_loss, real_logits, fake_logits):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.real_accuracy.update_state(ops.ones_like(real_logits), real_logits)
        self.fake_accuracy.update_state(
            ops.zeros_like(fake_logits), fake_logits
        )
        return self.metric_logs()

    # === Config ===

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "label_smoothing": self.label_smoothing,
            }
        )
        return config
