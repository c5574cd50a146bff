"""Wasserstein GAN with gradient penalty (Gulrajani et al., 2017)."""

import keras
from keras import ops

from keras_genimg.models import backend, conditional_networks, networks
from keras_genimg.models.adversarial import AdversarialModel
from keras_genimg.models.argument_checks import check_count, check_number
from keras_genimg.models.generative_model import to_signed

# Keeps the gradient norm's square root differentiable at 0.
NORM_EPSILON = 1e-12


@keras.saving.register_keras_serializable(package="keras_genimg")
class WGANGP(AdversarialModel):
    """WGAN-GP trained with `model.fit`, on any backend.

    The critic `D` scores images (higher is more real) and is trained to
    maximise `mean D(real) - mean D(fake)`, an estimate of the Wasserstein
    distance, minus `gp_weight * mean (||grad D(x_hat)|| - 1)^2` on
    interpolates `x_hat = alpha * real + (1 - alpha) * fake`,
    `alpha ~ U(0, 1)` per image. The generator minimises `-mean D(fake)`.

    One `train_step` makes `n_critic` critic updates and then one generator
    update. The batch is split into `n_critic` equal chunks, one per
    critic update, so every critic update sees fresh real images as in
    the paper's Algorithm 1, and an epoch shows each real image to the
    critic once; the generator update then uses a chunk-sized batch of
    fresh latents. Feed batches of `n_critic * m` images (e.g. 5 * 64);
    images past the last full chunk are dropped, and a batch smaller than
    `n_critic` reuses its images.

    The critic has no batch normalization (it would make the penalty of
    one image depend on the others). The generator is the DCGAN's.

    Logged metrics: `critic_loss` (`-wasserstein + gp_weight * penalty`),
    `g_loss`, `wasserstein` (the critic's estimate `mean D(real) -
    mean D(fake)`) and `gradient_penalty`; the critic's values are means
    over the step's `n_critic` updates.

    Reference: Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved
    Training of Wasserstein GANs", 2017.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        latent_dim: int. Size of the latent vector. Defaults to 100.
        filters: int. Width of the networks. Defaults to 64.
        n_critic: int. Critic updates per generator update. Defaults to 5.
        gp_weight: float. Weight of the gradient penalty. Defaults to 10.
        seed: int or None. Seed of the latent noise and the interpolation
            weights drawn during training.
        use_ema: bool. Sample from an exponential moving average of the
            generator's weights, `ema_generator` (see `AdversarialModel`).
            Defaults to True.
        ema_decay: float. Decay of that average per generator step.
            Defaults to 0.999.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import WGANGP
    >>> images = np.random.default_rng(0).random((40, 16, 16, 1), "float32")
    >>> gan = WGANGP(image_shape=(16, 16, 1), latent_dim=8, seed=0)
    >>> gan.compile()
    >>> history = gan.fit(images, batch_size=20, verbose=0)
    >>> sorted(history.history)
    ['critic_loss', 'g_loss', 'gradient_penalty', 'wasserstein']
    >>> int(gan.critic_optimizer.iterations), int(gan.optimizer.iterations)
    (10, 2)
    """

    ADVERSARY = "critic"
    ADVERSARY_OPTIMIZER = "critic_optimizer"

    def __init__(
        self,
        image_shape,
        latent_dim=100,
        filters=64,
        n_critic=5,
        gp_weight=10.0,
        seed=None,
        num_classes=None,
        use_ema=True,
        ema_decay=0.999,
        **kwargs,
    ):
        if num_classes is not None:
            raise ValueError(
                "WGANGP is unconditional: it takes no `num_classes`. Use "
                "DCGAN(num_classes=...) for a class-conditional GAN."
            )
        super().__init__(image_shape, latent_dim, seed=seed, **kwargs)
        self.filters = check_count("filters", filters)
        self.n_critic = check_count("n_critic", n_critic)
        self.gp_weight = check_number("gp_weight", gp_weight, low=0.0)

        # === Layers ===
        with self.policy_scope():
            self.generator = networks.build_dcgan_generator(
                self.spatial_plan, self.latent_dim, self.filters
            )
            self.critic = conditional_networks.build_wgan_critic(
                self.spatial_plan, self.filters
            )
        self.keep_weight_average("generator", use_ema, ema_decay)

        # === Metrics ===
        self.critic_loss_tracker = keras.metrics.Mean(name="critic_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.wasserstein_tracker = keras.metrics.Mean(name="wasserstein")
        self.penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        # The networks are built above, so the model is too.
        self.built = True

    @property
    def metrics(self):
        return [
            self.critic_loss_tracker,
            self.g_loss_tracker,
            self.wasserstein_tracker,
            self.penalty_tracker,
        ]

    def compile(self, critic_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training.

        Args:
            critic_optimizer: optimizer of the critic. Defaults to
                `Adam(1e-4, beta_1=0.5, beta_2=0.9)`.
            g_optimizer: optimizer of the generator (`optimizer=` is taken
                as the same), also available as `model.optimizer`.
                Defaults to `Adam(1e-4, beta_1=0.5, beta_2=0.9)`.
            **kwargs: passed to `keras.Model.compile`.
        """
        self.compile_adversarial(
            critic_optimizer, g_optimizer, _default_optimizer, **kwargs
        )

    # === Losses ===

    def gradient_penalty(self, real, fake):
        """`mean (||grad D(x_hat)|| - 1)^2` on random interpolates.

        Args:
            real: float tensor `(batch, H, W, C)`, images in [-1, 1].
            fake: float tensor of the same shape.

        Returns:
            A float32 scalar tensor.
        """
        alpha = keras.random.uniform(
            (ops.shape(real)[0], 1, 1, 1), seed=self.seed_generator
        )
        interpolates = alpha * real + (1.0 - alpha) * fake
        _, grads = backend.value_and_input_grad(
            lambda x: (ops.sum(self.critic(x, training=True)), None),
            interpolates,
            second_order=True,
        )
        grads = ops.cast(grads, "float32")
        norms = ops.sqrt(
            ops.sum(ops.square(grads), axis=(1, 2, 3)) + NORM_EPSILON
        )
        return ops.mean(ops.square(norms - 1.0))

    # === Training ===

    def train_batch(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real_batch = to_signed(ops.cast(images, "float32"))
        chunk, starts = _critic_chunks(ops.shape(real_batch)[0], self.n_critic)
        g_weights = self.generator.trainable_variables

        wasserstein, penalty, critic_loss = 0.0, 0.0, 0.0
        for start in starts:
            real = real_batch[start : start + chunk]
            fake = ops.stop_gradient(
                self.generator(self.sample_noise(chunk), training=True)
            )
            step_loss, step_wasserstein, step_penalty = self._critic_update(
                real, fake
            )
            critic_loss += step_loss / self.n_critic
            wasserstein += step_wasserstein / self.n_critic
            penalty += step_penalty / self.n_critic

        z = self.sample_noise(chunk)

        def generator_loss():
            fake = self.generator(z, training=True)
            g_loss = -ops.mean(self.critic(fake, training=True))
            return self.loss_for_gradients(self.optimizer, g_loss), g_loss

        (_, g_loss), grads = backend.value_and_grad(generator_loss, g_weights)
        backend.apply_gradients(self.optimizer, grads, g_weights)
        self.update_weight_average()
        return self._update_metrics(critic_loss, g_loss, wasserstein, penalty)

    def _critic_update(self, real, fake):
        """One critic update; returns `(loss, wasserstein, penalty)`."""
        weights = self.critic.trainable_variables

        def critic_losses():
            # One critic call on both batches: it scores each image on its
            # own (no batch normalization), and one call of twice the batch
            # costs less than two.
            scores = self.critic(
                ops.concatenate([real, fake], axis=0), training=True
            )
            real_scores, fake_scores = ops.split(scores, 2, axis=0)
            wasserstein = ops.mean(real_scores) - ops.mean(fake_scores)
            penalty = self.gradient_penalty(real, fake)
            loss = -wasserstein + self.gp_weight * penalty
            scaled = self.loss_for_gradients(self.critic_optimizer, loss)
            return scaled, (loss, wasserstein, penalty)

        (_, losses), grads = backend.value_and_grad(critic_losses, weights)
        backend.apply_gradients(self.critic_optimizer, grads, weights)
        return losses

    def test_batch(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        real = to_signed(ops.cast(images, "float32"))
        fake = self.generator(self.sample_noise(ops.shape(real)[0]))
        fake_scores = self.critic(fake)
        wasserstein = ops.mean(self.critic(real)) - ops.mean(fake_scores)
        penalty = self.gradient_penalty(real, fake)
        return self._update_metrics(
            -wasserstein + self.gp_weight * penalty,
            -ops.mean(fake_scores),
            wasserstein,
            penalty,
        )

    def _update_metrics(self, critic_loss, g_loss, wasserstein, penalty):
        self.critic_loss_tracker.update_state(critic_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.wasserstein_tracker.update_state(wasserstein)
        self.penalty_tracker.update_state(penalty)
        return self.metric_logs()

    # === Config ===

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "n_critic": self.n_critic,
                "gp_weight": self.gp_weight,
            }
        )
        return config


def _critic_chunks(batch_size, n_critic):
    """The chunk size and the start of each critic update's real images.

    The batch is split into `n_critic` chunks; a batch smaller than
    `n_critic` gives chunks of one image, the last reused. The batch size
    is a Python int where the backend knows it when tracing (JAX, torch,
    fixed-size TensorFlow batches) and a tensor otherwise.

    Example:
    >>> _critic_chunks(11, 5)
    (2, [0, 2, 4, 6, 8])
    >>> _critic_chunks(3, 5)
    (1, [0, 1, 2, 2, 2])
    """
    if isinstance(batch_size, int):
        chunk = max(batch_size // n_critic, 1)
        return chunk, [
            min(step * chunk, batch_size - chunk) for step in range(n_critic)
        ]
    chunk = ops.maximum(batch_size // n_critic, 1)
    return chunk, [
        ops.minimum(step * chunk, batch_size - chunk)
        for step in range(n_critic)
    ]


def _default_optimizer():
    return keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)
