"""Deep convolutional GAN (Radford, Metz & Chintala, 2015).

`DCGANTraining` holds its losses, metrics and training step, which the
conditional GAN shares.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_genimg.models import networks
from keras_genimg.models.adversarial import AdversarialOptimizers
from keras_genimg.models.generative_model import (
    GenerativeModel,
    _check_count,
    network_inputs,
    to_signed,
    to_unit,
)


class DCGANTraining(AdversarialOptimizers):
    """The DCGAN's losses, metrics and steps, shared with `ConditionalGAN`.

    A mixin for a `GenerativeModel`. The model passes `filters` and
    `label_smoothing` to `__init__` by keyword and implements
    `build_generator()` and `build_discriminator()`, which are called
    under the model's dtype policy. The networks are called on
    `network_inputs(x, labels)`, with the batch's `step_labels`: None for
    an unconditional model, so they see `x` alone.

    Each training step first updates the discriminator on real images
    labelled real and generated images labelled fake, then updates the
    generator with the non-saturating loss, scored by the updated
    discriminator. The generator's update scores the same generated batch
    (as the reference PyTorch DCGAN does; one generator forward pass per
    step), or, where `FRESH_GENERATOR_BATCH` is True, a batch generated
    from fresh latent vectors.
    """

    FRESH_GENERATOR_BATCH = False

    def __init__(self, *args, filters, label_smoothing, **kwargs):
        super().__init__(*args, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                "`label_smoothing` must be in [0, 1). "
                f"Received: {label_smoothing!r}"
            )
        self.filters = _check_count("filters", filters)
        self.label_smoothing = float(label_smoothing)

        # === Layers ===
        with self.policy_scope():
            self.generator = self.build_generator()
            self.discriminator = self.build_discriminator()

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
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`, ...).
        """
        self.compile_adversarial(
            d_optimizer, g_optimizer, default_gan_optimizer, **kwargs
        )

    # === Losses ===

    def discriminator_loss(self, real_logits, fake_logits):
        """Sigmoid cross-entropy: real labelled real, fake labelled fake."""
        real_labels = ops.full_like(real_logits, 1.0 - self.label_smoothing)
        real = ops.binary_crossentropy(real_labels, real_logits, True)
        fake = ops.binary_crossentropy(
            ops.zeros_like(fake_logits), fake_logits, True
        )
        return ops.mean(real) + ops.mean(fake)

    def generator_loss(self, fake_logits):
        """Non-saturating generator loss, `-log D(G(z))`.

        For a conditional model, `-log D(G(z, y), y)`.
        """
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
        labels = self.step_labels(labels)
        real = to_signed(ops.cast(images, "float32"))
        batch_size = ops.shape(real)[0]

        # The discriminator learns from the generated batch with the
        # generator held fixed; then the generator's tape resumes to score
        # the images with the updated discriminator.
        g_tape, fake = self._generate_on_tape(batch_size, labels)

        with tf.GradientTape() as d_tape:
            real_logits = self.discriminator(
                network_inputs(real, labels), training=True
            )
            fake_logits = self.discriminator(
                network_inputs(ops.stop_gradient(fake), labels), training=True
            )
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            scaled_loss = self.loss_for_gradients(self.d_optimizer, d_loss)
        d_weights = self.discriminator.trainable_weights
        grads = d_tape.gradient(scaled_loss, d_weights)
        self.d_optimizer.apply_gradients(zip(grads, d_weights))

        if self.FRESH_GENERATOR_BATCH:
            g_tape, fake = self._generate_on_tape(batch_size, labels)
        with g_tape:
            g_loss = self.generator_loss(
                self.discriminator(network_inputs(fake, labels), training=True)
            )
            scaled_loss = self.loss_for_gradients(self.optimizer, g_loss)
        g_weights = self.generator.trainable_weights
        grads = g_tape.gradient(scaled_loss, g_weights)
        self.optimizer.apply_gradients(zip(grads, g_weights))

        return self._update_metrics(d_loss, g_loss, real_logits, fake_logits)

    def _generate_on_tape(self, batch_size, labels):
        """Generates a batch from fresh noise, recorded on a new tape."""
        tape = tf.GradientTape()
        with tape:
            z = self.sample_noise(batch_size)
            fake = self.generator(network_inputs(z, labels), training=True)
        return tape, fake

    def test_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        real = to_signed(ops.cast(images, "float32"))
        z = self.sample_noise(ops.shape(real)[0])
        fake = self.generator(network_inputs(z, labels))
        real_logits = self.discriminator(network_inputs(real, labels))
        fake_logits = self.discriminator(network_inputs(fake, labels))
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


def default_gan_optimizer():
    """Adam(2e-4, beta_1=0.5), as in Radford et al. (2015)."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


@keras.saving.register_keras_serializable(package="keras_genimg")
class DCGAN(DCGANTraining, GenerativeModel):
    """Deep convolutional GAN trained with `model.fit`.

    Each training step first updates the discriminator on real images
    labelled real and generated images labelled fake, then updates the
    generator with the non-saturating loss `-log D(G(z))`, scored by the
    updated discriminator on the same generated batch (as the reference
    PyTorch DCGAN does; one generator forward pass per step). The
    generator uses BatchNorm and ReLU with a tanh output; the discriminator
    uses LeakyReLU(0.2) and BatchNorm after every convolution
    but the first. The networks work in [-1, 1]; the model converts at its
    boundary, so images going in and out are float32 in [0, 1].

    Logged metrics: `d_loss`, `g_loss`, `real_accuracy` and `fake_accuracy`
    (the discriminator's accuracy on real and on generated images).

    Reference: Radford, Metz & Chintala, "Unsupervised Representation
    Learning with Deep Convolutional Generative Adversarial Networks", 2015.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        latent_dim: int. Size of the latent vector. Defaults to 100.
        filters: int. Width of the networks (discriminator's first layer,
            generator's last hidden layer). Defaults to 64.
        label_smoothing: float. One-sided label smoothing: real images are
            labelled `1 - label_smoothing` for the discriminator.
            Defaults to 0.0.
        seed: int or None. Seed of the latent noise drawn during training.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import DCGAN
    >>> images = np.random.default_rng(0).random((64, 28, 28, 1), "float32")
    >>> gan = DCGAN(image_shape=(28, 28, 1), latent_dim=32, seed=0)
    >>> gan.compile()
    >>> history = gan.fit(images, epochs=1, batch_size=32, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'fake_accuracy', 'g_loss', 'real_accuracy']
    >>> gan.generate(num_images=4, seed=1).shape
    (4, 28, 28, 1)
    """

    def __init__(
        self,
        image_shape,
        latent_dim=100,
        filters=64,
        label_smoothing=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            image_shape,
            latent_dim,
            seed=seed,
            filters=filters,
            label_smoothing=label_smoothing,
            **kwargs,
        )

    # === Layers ===

    def build_generator(self):
        return networks.build_dcgan_generator(
            self.image_shape, self.latent_dim, self.filters
        )

    def build_discriminator(self):
        return networks.build_dcgan_discriminator(
            self.image_shape, self.filters
        )

    # === Forward passes ===

    def call(self, z, training=False):
        """Generates images in [0, 1] from latent vectors."""
        return self.latent_to_images(z, training=training)

    def latent_to_images(self, z, training=False):
        return ops.cast(
            to_unit(self.generator(z, training=training)), "float32"
        )
