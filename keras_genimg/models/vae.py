"""Variational autoencoder (Kingma & Welling, 2013), with beta-VAE weight,
optionally class-conditional (Sohn, Lee & Yan, 2015)."""

import keras
import numpy as np
from keras import ops

from keras_genimg.models import backend, conditional_networks, networks
from keras_genimg.models.argument_checks import check_count, check_number
from keras_genimg.models.generative_model import (
    GenerativeModel,
    network_inputs,
)
from keras_genimg.models.latent_prior import GaussianMixturePrior

RECONSTRUCTION_LOSSES = ("bce", "mse")


@keras.saving.register_keras_serializable(package="keras_genimg")
class VAE(GenerativeModel):
    """Convolutional variational autoencoder trained with `model.fit`, on
    any backend.

    The encoder maps an image to the mean and log-variance of a diagonal
    Gaussian posterior; a latent vector is drawn with the reparameterisation
    trick from the model's own `keras.random.SeedGenerator`, and the decoder
    maps it back to per-pixel logits. The loss per image is

        reconstruction (summed over pixels) + beta * KL(q(z|x) || N(0, I)),

    with the KL divergence in closed form. `beta=1` is the VAE of Kingma &
    Welling (2013); `beta > 1` is the beta-VAE of Higgins et al. (2017),
    which trades reconstruction quality for a more factorised latent space.

    Images are float32 in [0, 1], channels last. Batches may carry labels,
    which an unconditional VAE ignores.

    With `num_classes`, the VAE is conditional (the `cvae` of the
    registry, Sohn, Lee & Yan, 2015): the encoder `q(z | x, y)` sees the
    label as one constant map per class beside the image channels, the
    decoder `p(x | z, y)` as a one-hot vector beside `z`. The label
    carries the class, so the latent space is left to encode the style;
    decoding one `z` with different labels draws the same style in
    different classes. Batches are then `(images, labels)`, and `encode`,
    `decode`, `reconstruct` and `generate` take the labels.

    With `prior_components`, `fit_prior(images)` fits a mixture of that
    many Gaussians to the encoded images after training, and `generate`,
    `sample_latent`, the sample grids and the exports' `sample` signature
    draw latent vectors from it instead of N(0, I) ("ex-post density
    estimation", Ghosh et al., 2020; see `latent_prior`). `genimg train`
    refits it after every epoch.

    Logged metrics: `loss`, `reconstruction_loss` and `kl_loss`.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        latent_dim: int. Size of the latent space. Defaults to 16.
        beta: float. Weight of the KL term. Defaults to 1.0.
        reconstruction_loss: str. `"bce"` (Bernoulli likelihood, the
            default) or `"mse"` (sum of squared errors).
        filters: int. Width of the first encoder convolution; deeper layers
            double it. Defaults to 32.
        num_classes: int or None. Number of classes of a conditional VAE;
            None (the default) for an unconditional one.
        prior_components: int or None. Components of the prior that
            `fit_prior` fits; None (the default) keeps N(0, I).
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
    >>> cvae = VAE((28, 28, 1), latent_dim=4, num_classes=3, seed=0)
    >>> cvae.compile()
    >>> history = cvae.fit(images, np.arange(64) % 3, batch_size=32, verbose=0)
    >>> z_mean, _ = cvae.encode(images[:2], labels=[0, 1])
    >>> cvae.generate(z=z_mean, labels=[2, 2]).shape
    (2, 28, 28, 1)
    >>> vae = VAE((28, 28, 1), latent_dim=8, prior_components=4, seed=0)
    >>> vae.fit_prior(images)
    >>> vae.generate(num_images=4, seed=1).shape
    (4, 28, 28, 1)
    """

    is_autoencoder = True

    def __init__(
        self,
        image_shape,
        latent_dim=16,
        beta=1.0,
        reconstruction_loss="bce",
        filters=32,
        num_classes=None,
        prior_components=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            image_shape,
            latent_dim,
            num_classes=num_classes,
            seed=seed,
            **kwargs,
        )
        if reconstruction_loss not in RECONSTRUCTION_LOSSES:
            raise ValueError(
                f"Unknown `reconstruction_loss` {reconstruction_loss!r}. "
                f"Expected one of: {', '.join(RECONSTRUCTION_LOSSES)}."
            )
        self.beta = check_number("beta", beta, low=0.0)
        self.reconstruction_loss = reconstruction_loss
        self.filters = check_count("filters", filters)

        # === Layers ===
        with self.policy_scope():
            if self.is_conditional:
                self.encoder = conditional_networks.build_conditional_encoder(
                    self.spatial_plan,
                    self.latent_dim,
                    self.num_classes,
                    self.filters,
                )
                self.decoder = conditional_networks.build_conditional_decoder(
                    self.spatial_plan,
                    self.latent_dim,
                    self.num_classes,
                    self.filters,
                )
            else:
                self.encoder = networks.build_vae_encoder(
                    self.spatial_plan, self.latent_dim, self.filters
                )
                self.decoder = networks.build_vae_decoder(
                    self.spatial_plan, self.latent_dim, self.filters
                )
        self.prior_components = prior_components
        if prior_components is not None:
            self.latent_prior = GaussianMixturePrior(
                prior_components, self.latent_dim, name="latent_prior"
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

    def train_batch(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        weights = self.trainable_variables

        def losses():
            losses = self._compute_losses(images, labels, training=True)
            return self.loss_for_gradients(self.optimizer, losses[0]), losses

        (_, losses), grads = backend.value_and_grad(losses, weights)
        backend.apply_gradients(self.optimizer, grads, weights)
        return self._update_metrics(*losses)

    def test_batch(self, data):
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
                "prior_components": self.prior_components,
            }
        )
        return config

    # === Forward passes ===

    def call(self, inputs, training=False):
        """Reconstructs `images`, or `(images, labels)`, through a
        posterior sample."""
        images, labels = inputs if self.is_conditional else (inputs, None)
        labels = self._label_tensor(labels)
        z_mean, z_log_var = self.encoder(
            network_inputs(images, labels), training=training
        )
        z = self.reparameterize(z_mean, z_log_var)
        logits = self.decoder(network_inputs(z, labels), training=training)
        return ops.sigmoid(logits)

    def latent_to_images(self, z, labels=None, training=False):
        z = ops.convert_to_tensor(z, "float32")
        labels = self._label_tensor(labels)
        logits = self.decoder(network_inputs(z, labels), training=training)
        return ops.cast(ops.sigmoid(logits), "float32")

    def compute_losses(self, images, labels=None, training=False):
        """Returns `(loss, reconstruction_loss, kl_loss)`, batch means."""
        self._check_given(labels)
        return self._compute_losses(
            images, self._label_tensor(labels), training
        )

    def _check_given(self, labels):
        """Raises for a conditional VAE given no labels: the classes of
        images are theirs, not to be drawn in turn as for sampling."""
        if self.is_conditional and labels is None:
            raise ValueError(
                "This VAE is conditional: pass `labels`, one class index "
                "per image."
            )

    def _label_tensor(self, labels):
        if not self.is_conditional:
            return None
        return ops.cast(ops.convert_to_tensor(labels), "int32")

    # === Public API ===

    def encode(self, images, labels=None):
        """Encodes images to the posterior's parameters.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].
            labels: int or int array `(batch,)`: the images' classes, for a
                conditional VAE only.

        Returns:
            `(z_mean, z_log_var)`, float32 numpy arrays `(batch, latent_dim)`.
        """
        images = self.check_images(images)
        self._check_given(labels)
        labels = self.check_labels(labels, len(images))
        if labels is not None:
            labels = ops.convert_to_tensor(labels)
        z_mean, z_log_var = self.encoder(
            network_inputs(ops.convert_to_tensor(images), labels),
            training=False,
        )
        return ops.convert_to_numpy(z_mean), ops.convert_to_numpy(z_log_var)

    def fit_prior(self, images, labels=None, seed=0, batch_size=500):
        """Fits the latent prior to the posterior means of `images`.

        Args:
            images: float32 array `(n, H, W, C)` in [0, 1], e.g. the
                training images (at least `prior_components` of them).
            labels: their classes, for a conditional VAE only.
            seed: int. Seed of the fit's starting point.
            batch_size: int. Images encoded per call.
        """
        if self.latent_prior is None:
            raise ValueError(
                "This VAE has no prior to fit: build it with "
                "`prior_components`."
            )
        codes = []
        for start in range(0, len(images), batch_size):
            part = slice(start, start + batch_size)
            part_labels = None if labels is None else labels[part]
            codes.append(self.encode(images[part], part_labels)[0])
        self.latent_prior.fit(np.concatenate(codes), seed=seed)

    def decode(self, z, labels=None):
        """Decodes latent vectors `(batch, latent_dim)` (of the given
        classes, for a conditional VAE) to images in [0, 1]."""
        return self.generate(z=z, labels=labels)

    def reconstruct(self, images, labels=None):
        """Encodes and decodes images through the posterior mean.

        Args:
            images: float32 array `(batch, H, W, C)` in [0, 1].
            labels: int or int array `(batch,)`: the images' classes, for a
                conditional VAE only.

        Returns:
            A float32 numpy array of the same shape, in [0, 1].
        """
        z_mean, _ = self.encode(images, labels)
        return self.decode(z_mean, labels)
