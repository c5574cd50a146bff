"""Deep convolutional GAN (Radford, Metz & Chintala, 2015), optionally
class-conditional (Mirza & Osindero, 2014; Miyato & Koyama, 2018)."""

import keras
from keras import ops

from keras_genimg.models import backend, conditional_networks, networks
from keras_genimg.models.adversarial import AdversarialModel
from keras_genimg.models.argument_checks import check_count, check_number
from keras_genimg.models.diff_augment import diff_augment, parse_policy
from keras_genimg.models.generative_model import network_inputs, to_signed


@keras.saving.register_keras_serializable(package="keras_genimg")
class DCGAN(AdversarialModel):
    """Deep convolutional GAN trained with `model.fit`, on any backend.

    Each training step first updates the discriminator on real images
    labelled real and generated images labelled fake, then updates the
    generator with the non-saturating loss `-log D(G(z))`, scored by the
    updated discriminator on the same generated batch (as the reference
    PyTorch DCGAN does; one generator forward pass per step). The
    generator uses BatchNorm and ReLU with a tanh output; the discriminator
    uses LeakyReLU(0.2) and BatchNorm after every convolution but the
    first. The networks work in [-1, 1]; the model converts at its
    boundary, so images going in and out are float32 in [0, 1].

    With `num_classes`, the GAN is class-conditional (the `cgan` of the
    registry): batches are `(images, labels)`; the generator sees the
    latent vector with the one-hot label concatenated (Mirza & Osindero,
    2014) and the label again as one constant map per class on its base
    grid; the discriminator is a projection discriminator (Miyato &
    Koyama, 2018), whose logit `dense(h) + embed(y) . h` judges whether an
    image is a real image *of class y*.

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
            labelled `1 - label_smoothing` for the discriminator (the
            cross-entropy loss only). Defaults to 0.0.
        loss: str. `"bce"` (the default): sigmoid cross-entropy for the
            discriminator and the non-saturating `-log D(G(z))` for the
            generator; or `"hinge"`: `mean relu(1 - D(real)) + mean
            relu(1 + D(fake))` for the discriminator and `-mean D(fake)`
            for the generator (Lim & Ye, 2017; Miyato et al., 2018).
        spectral_norm: bool. Spectral normalization of every layer of the
            discriminator, which then has no BatchNorm (Miyato et al.,
            2018). With `loss="hinge"` this is the `sngan` of the zoo.
            Defaults to False.
        diff_augment: None, True or str. DiffAugment (Zhao et al., 2020):
            random differentiable transforms of the real and generated
            images the discriminator sees, in both updates; True picks
            the paper's policy (`"translation,cutout"`, with `"color"`
            first for colour images), or name the transforms, e.g.
            `"translation"`. See `keras_genimg.models.diff_augment`.
            Defaults to None (off).
        num_classes: int or None. Number of classes of a class-conditional
            GAN; None (the default) for an unconditional one.
        seed: int or None. Seed of the latent noise drawn during training.
        use_ema: bool. Sample from an exponential moving average of the
            generator's weights, `ema_generator` (see `AdversarialModel`).
            Defaults to True.
        ema_decay: float. Decay of that average per generator step.
            Defaults to 0.999.
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
    >>> labels = np.arange(64) % 3
    >>> cgan = DCGAN((28, 28, 1), latent_dim=8, num_classes=3, seed=0)
    >>> cgan.compile()
    >>> history = cgan.fit(images, labels, batch_size=32, verbose=0)
    >>> cgan.generate(num_images=4, labels=[0, 1, 2, 2], seed=1).shape
    (4, 28, 28, 1)
    """

    def __init__(
        self,
        image_shape,
        latent_dim=100,
        filters=64,
        label_smoothing=0.0,
        num_classes=None,
        seed=None,
        loss="bce",
        spectral_norm=False,
        diff_augment=None,
        use_ema=True,
        ema_decay=0.999,
        **kwargs,
    ):
        super().__init__(
            image_shape,
            latent_dim,
            num_classes=num_classes,
            seed=seed,
            **kwargs,
        )
        label_smoothing = check_number(
            "label_smoothing", label_smoothing, 0.0, below=1.0
        )
        if loss not in LOSSES:
            raise ValueError(
                f"`loss` must be one of {', '.join(LOSSES)}. Received: {loss!r}"
            )
        if loss == "hinge" and label_smoothing:
            raise ValueError(
                "`label_smoothing` applies to the cross-entropy loss only; "
                "the hinge loss takes none."
            )
        self.filters = check_count("filters", filters)
        self.label_smoothing = float(label_smoothing)
        self.loss_name = loss
        self.spectral_norm = bool(spectral_norm)
        self.diff_augment = parse_policy(diff_augment, self.image_shape[-1])

        # === Layers ===
        with self.policy_scope():
            if self.is_conditional:
                self.generator = (
                    conditional_networks.build_conditional_generator(
                        self.spatial_plan,
                        self.latent_dim,
                        self.num_classes,
                        self.filters,
                    )
                )
                self.discriminator = (
                    conditional_networks.build_projection_discriminator(
                        self.spatial_plan,
                        self.num_classes,
                        self.filters,
                        spectral_norm=self.spectral_norm,
                    )
                )
            else:
                self.generator = networks.build_dcgan_generator(
                    self.spatial_plan, self.latent_dim, self.filters
                )
                self.discriminator = networks.build_dcgan_discriminator(
                    self.spatial_plan,
                    self.filters,
                    spectral_norm=self.spectral_norm,
                )
        self.keep_weight_average("generator", use_ema, ema_decay)

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
            g_optimizer: optimizer of the generator (`optimizer=` is taken
                as the same), also available as
                `model.optimizer`. Defaults to `Adam(2e-4, beta_1=0.5)`.
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, `run_eagerly`, ...).
        """
        self.compile_adversarial(
            d_optimizer, g_optimizer, default_gan_optimizer, **kwargs
        )

    # === Losses ===

    def discriminator_loss(self, real_logits, fake_logits):
        """Sigmoid cross-entropy (real labelled real, fake labelled fake),
        or the hinge loss."""
        if self.loss_name == "hinge":
            return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(
                ops.relu(1.0 + fake_logits)
            )
        real_labels = ops.full_like(real_logits, 1.0 - self.label_smoothing)
        real = ops.binary_crossentropy(real_labels, real_logits, True)
        fake = ops.binary_crossentropy(
            ops.zeros_like(fake_logits), fake_logits, True
        )
        return ops.mean(real) + ops.mean(fake)

    def generator_loss(self, fake_logits):
        """Non-saturating generator loss, `-log D(G(z))`, or the hinge
        loss's `-mean D(G(z))`.

        For a conditional model, `D(G(z, y), y)`.
        """
        if self.loss_name == "hinge":
            return -ops.mean(fake_logits)
        return ops.mean(
            ops.binary_crossentropy(
                ops.ones_like(fake_logits), fake_logits, from_logits=True
            )
        )

    # === Training ===

    def train_batch(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        real = to_signed(ops.cast(images, "float32"))
        z = self.sample_noise(ops.shape(real)[0])
        g_weights = self.generator.trainable_variables
        d_weights = self.discriminator.trainable_variables

        # The generator's forward pass is kept for its own update, which
        # scores the same images with the updated discriminator.
        fake, generator_pullback = backend.vjp(
            lambda: self.generator(network_inputs(z, labels), training=True),
            g_weights,
        )

        def discriminator_losses():
            real_logits = self.discriminator(
                network_inputs(self.augment(real), labels), training=True
            )
            fake_logits = self.discriminator(
                network_inputs(self.augment(ops.stop_gradient(fake)), labels),
                training=True,
            )
            d_loss = self.discriminator_loss(real_logits, fake_logits)
            scaled = self.loss_for_gradients(self.d_optimizer, d_loss)
            return scaled, (d_loss, real_logits, fake_logits)

        (_, (d_loss, real_logits, fake_logits)), grads = backend.value_and_grad(
            discriminator_losses, d_weights
        )
        backend.apply_gradients(self.d_optimizer, grads, d_weights)

        def generator_loss_of(fake):
            logits = self.discriminator(
                network_inputs(self.augment(fake), labels), training=True
            )
            g_loss = self.generator_loss(logits)
            return self.loss_for_gradients(self.optimizer, g_loss), g_loss

        (_, g_loss), fake_grads = backend.value_and_input_grad(
            generator_loss_of, fake
        )
        grads = generator_pullback(fake_grads)
        backend.apply_gradients(self.optimizer, grads, g_weights)
        self.update_weight_average()
        return self._update_metrics(d_loss, g_loss, real_logits, fake_logits)

    def test_batch(self, data):
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

    def augment(self, images):
        """The images as the discriminator sees them in training."""
        if self.diff_augment is None:
            return images
        return diff_augment(images, self.diff_augment, self.seed_generator)

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
                "loss": self.loss_name,
                "spectral_norm": self.spectral_norm,
                "diff_augment": self.diff_augment,
            }
        )
        return config


LOSSES = ("bce", "hinge")


def default_gan_optimizer():
    """Adam(2e-4, beta_1=0.5), as in Radford et al. (2015)."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)
