"""Denoising diffusion (Ho et al., 2020) sampled with DDIM (Song et al.,
2021), optionally class-conditional with classifier-free guidance (Ho &
Salimans, 2021)."""

import keras
import numpy as np
from keras import ops

from keras_genimg.models import (
    backend,
    diffusion_sampling,
    noise_schedule,
    unet,
)
from keras_genimg.models.argument_checks import check_count, check_number
from keras_genimg.models.generative_model import (
    GenerativeModel,
    generate_batch_size,
    to_signed,
    to_unit,
)

DEFAULT_SAMPLING_STEPS = 50


@keras.saving.register_keras_serializable(package="keras_genimg")
class DiffusionModel(GenerativeModel):
    """A denoising diffusion model trained with `model.fit`, on any backend.

    Training adds Gaussian noise to images at a random timestep `t` of a
    `timesteps`-step schedule, `x_t = sqrt(a_t) x + sqrt(1 - a_t) noise`,
    and teaches a U-Net to predict the noise (`prediction="epsilon"`, Ho
    et al., 2020) or the velocity (`"v"`, Salimans & Ho, 2022) with a
    mean squared error. Sampling runs the process backwards from pure
    noise with DDIM (Song et al., 2021) in `sampling_steps` steps,
    deterministic, so the initial noise plays the part of a GAN's latent
    vector: `z` is that noise, flattened, `latent_dim = H * W * C`, and
    `latent_to_images(z)` maps it to images. Interpolation, sample grids,
    evaluation and export work as for every zoo model. `generate` also
    takes another number of `steps`, stochastic DDIM (`eta`) and
    DDPM's ancestral sampler.

    With `num_classes` the model is conditional: labels are dropped (set
    to "no label") with probability `label_dropout` in training, and
    sampling mixes the two predictions, `uncond + guidance_scale * (cond
    - uncond)`: classifier-free guidance (Ho & Salimans, 2021); 0 samples
    unconditionally, 1 from the conditional model alone.

    With `use_ema` (the default) sampling uses an exponential moving
    average of the U-Net's weights, `ema_network`; training goes on with
    `network`.

    Logged metrics: `loss`.

    Args:
        image_shape: tuple. `(height, width, channels)`, e.g. `(28, 28, 1)`.
        filters: int. Channels of the U-Net's first level, a multiple of
            8. Defaults to 32. A level of fewer than 16 channels (`filters`
            x its multiplier) warns: its GroupNorm takes out the
            timestep's shift.
        channel_multipliers: tuple of ints. The U-Net's levels, in
            multiples of `filters`. Defaults to `(1, 2, 2)`.
        num_res_blocks: int. Residual blocks per level. Defaults to 1.
        attention: bool. Self-attention at the lowest resolution.
            Defaults to False.
        timesteps: int. Steps of the noise schedule. Defaults to 1000.
        schedule: str. `"cosine"` (Nichol & Dhariwal, 2021, the default)
            or `"linear"` (Ho et al., 2020).
        prediction: str. `"epsilon"` (the default) or `"v"`.
        sampling_steps: int or None. DDIM steps of `latent_to_images`,
            `generate` and the exported signatures. Defaults to 50 (or
            `timesteps` if fewer).
        num_classes: int or None. Classes of a conditional model.
        label_dropout: float. Probability of training without the label.
            Defaults to 0.1.
        guidance_scale: float. Classifier-free guidance of sampling.
            Defaults to 2.0.
        use_ema: bool. Sample from the weights' moving average. Defaults
            to True.
        ema_decay: float in [0, 1). Defaults to 0.999.
        latent_dim: int or None. `H * W * C` if given (configs carry it).
        seed: int or None. Seed of the training noise.
        **kwargs: passed to `keras.Model`.

    Example:
    >>> import numpy as np
    >>> from keras_genimg.models import DiffusionModel
    >>> images = np.random.default_rng(0).random((32, 16, 16, 1), "float32")
    >>> model = DiffusionModel(
    ...     (16, 16, 1), filters=16, channel_multipliers=(1,), sampling_steps=5
    ... )
    >>> model.compile()
    >>> history = model.fit(images, epochs=1, batch_size=16, verbose=0)
    >>> model.generate(num_images=2, seed=0).shape
    (2, 16, 16, 1)
    """

    is_diffusion = True

    def __init__(
        self,
        image_shape,
        filters=32,
        channel_multipliers=(1, 2, 2),
        num_res_blocks=1,
        attention=False,
        timesteps=1000,
        schedule="cosine",
        prediction="epsilon",
        sampling_steps=None,
        num_classes=None,
        label_dropout=0.1,
        guidance_scale=2.0,
        use_ema=True,
        ema_decay=0.999,
        latent_dim=None,
        seed=None,
        **kwargs,
    ):
        plan = unet.check_unet_levels(image_shape, channel_multipliers)
        pixels = int(np.prod(plan.image_shape))
        if latent_dim is not None and latent_dim != pixels:
            raise ValueError(
                f"A diffusion model's latent vector is its initial noise, "
                f"{pixels} values for images {plan.image_shape}. Received "
                f"latent_dim={latent_dim!r}."
            )
        super().__init__(plan, pixels, num_classes, seed, **kwargs)
        if check_count("filters", filters) % unet.GROUPS:
            raise ValueError(
                f"`filters` must be a multiple of {unet.GROUPS} (GroupNorm "
                f"groups). Received: {filters!r}"
            )
        unet.warn_of_narrow_levels(filters, channel_multipliers)
        if prediction not in noise_schedule.PREDICTIONS:
            raise ValueError(
                f"Unknown `prediction` {prediction!r}. Expected one of: "
                f"{', '.join(noise_schedule.PREDICTIONS)}."
            )
        self.filters = int(filters)
        self.channel_multipliers = tuple(int(m) for m in channel_multipliers)
        self.num_res_blocks = check_count("num_res_blocks", num_res_blocks)
        self.attention = bool(attention)
        self.schedule = noise_schedule.NoiseSchedule(schedule, timesteps)
        self.prediction = prediction
        self.label_dropout = check_number(
            "label_dropout", label_dropout, 0.0, below=1.0
        )
        self.guidance_scale = guidance_scale
        if sampling_steps is None:
            sampling_steps = min(
                DEFAULT_SAMPLING_STEPS, self.schedule.timesteps
            )
        self.sampling_steps = sampling_steps

        # === Layers ===
        with self.policy_scope():
            self.network = unet.build_unet(
                self.spatial_plan,
                self.filters,
                self.channel_multipliers,
                self.num_res_blocks,
                self.attention,
                self.num_classes,
            )
        self.keep_weight_average("network", use_ema, ema_decay)
        self._samplers = {}

        # === Metrics ===
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker]

    @property
    def latent_shape(self):
        """The noise's shape, the image shape: a SavedModel's `z` input
        takes `(batch, H, W, C)` noise."""
        return tuple(self.image_shape)

    @property
    def sampling_steps(self):
        """DDIM steps of `latent_to_images`; settable (e.g. before export)."""
        return self._sampling_steps

    @sampling_steps.setter
    def sampling_steps(self, steps):
        self.schedule.sampling_timesteps(steps)  # checks it
        self._sampling_steps = int(steps)
        self._compiled_latent_to_images = None

    @property
    def guidance_scale(self):
        """Classifier-free guidance of sampling; settable."""
        return self._guidance_scale

    @guidance_scale.setter
    def guidance_scale(self, scale):
        self._guidance_scale = _check_guidance(scale)
        self._compiled_latent_to_images = None

    def compile(self, optimizer=None, **kwargs):
        """Configures training. `optimizer` defaults to
        `AdamW(1e-3, weight_decay=1e-4, global_clipnorm=1.0)`."""
        if optimizer is None:
            optimizer = keras.optimizers.AdamW(
                1e-3, weight_decay=1e-4, global_clipnorm=1.0
            )
        super().compile(optimizer=optimizer, **kwargs)

    def build_optimizers(self):
        self.optimizer.build(self.network.trainable_variables)

    # === Training ===

    def compute_loss_of_batch(self, images, labels, training):
        """The mean squared error of the network's prediction on `images`
        noised at random timesteps (labels dropped in training)."""
        x0 = to_signed(ops.cast(images, "float32"))
        batch = ops.shape(x0)[0]
        t = keras.random.randint(
            (batch,), 0, self.schedule.timesteps, seed=self.seed_generator
        )
        noise = keras.random.normal(ops.shape(x0), seed=self.seed_generator)
        alpha_bar = ops.take(self._table(self.schedule.alpha_bar), t)
        alpha_bar = ops.reshape(alpha_bar, (-1, 1, 1, 1))
        x_t = noise_schedule.add_noise(x0, noise, alpha_bar)
        target = noise_schedule.training_target(
            x0, noise, alpha_bar, self.prediction
        )
        inputs = [x_t, ops.cast(t, "float32")]
        if labels is not None:
            if training and self.label_dropout > 0:
                drop = keras.random.uniform((batch,), seed=self.seed_generator)
                null = ops.full_like(labels, self.num_classes)
                labels = ops.where(drop < self.label_dropout, null, labels)
            inputs.append(labels)
        output = self.network(inputs, training=training)
        return ops.mean(ops.square(ops.cast(output, "float32") - target))

    def train_batch(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        weights = self.network.trainable_variables

        def loss_fn():
            loss = self.compute_loss_of_batch(images, labels, training=True)
            return self.loss_for_gradients(self.optimizer, loss), loss

        (_, loss), grads = backend.value_and_grad(loss_fn, weights)
        backend.apply_gradients(self.optimizer, grads, weights)
        self.update_weight_average()
        self.loss_tracker.update_state(loss)
        return self.metric_logs()

    def test_batch(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        labels = self.step_labels(labels)
        loss = self.compute_loss_of_batch(images, labels, training=False)
        self.loss_tracker.update_state(loss)
        return self.metric_logs()

    # === Sampling ===

    def call(self, inputs, training=False):
        """Samples images in [0, 1] from noise `z`, or `(z, labels)`."""
        if self.is_conditional:
            return self.latent_to_images(*inputs)
        return self.latent_to_images(inputs)

    def latent_to_images(self, z, labels=None, training=False):
        """Runs `sampling_steps` deterministic DDIM steps from the noise
        `z` `(batch, H * W * C)` to images in [0, 1]."""
        x = ops.reshape(
            ops.convert_to_tensor(z, "float32"), (-1, *self.image_shape)
        )
        if self.is_conditional:
            labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        network = self.sampling_network
        x = self._reverse(
            network, x, labels, self.sampling_steps, self.guidance_scale
        )
        return ops.cast(to_unit(x), "float32")

    def sample(
        self,
        x,
        labels,
        steps,
        guidance_scale,
        sampler="ddim",
        eta=0.0,
        fresh_noise=None,
        known=None,
        first_timestep=None,
        resample=(1, 1),
    ):
        """Runs the reverse process from noise `x` to images in [-1, 1],
        with the U-Net's predictions (classifier-free guided with
        `guidance_scale` for a conditional model). Compiled once per
        setting, or run eagerly when the model was compiled with
        `run_eagerly=True`.

        Args:
            x: float32 `(batch, H, W, C)`, standard normal noise.
            labels: int32 `(batch,)` in `[0, num_classes]` (the last
                meaning "no label") for a conditional model, else None.
            steps, guidance_scale, sampler, eta, fresh_noise, known,
                first_timestep, resample: see
                `diffusion_sampling.reverse_process`.

        Returns:
            A float32 tensor of the shape of `x`.
        """
        network = self.sampling_network
        settings = (steps, guidance_scale, sampler, eta, first_timestep,
                    tuple(resample))  # fmt: skip

        def run(x, labels, fresh_noise, known):
            return self._reverse(
                network, x, labels, *settings, fresh_noise, known
            )

        if labels is not None:
            labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        x = ops.convert_to_tensor(x, "float32")
        if self.run_eagerly:
            return run(x, labels, fresh_noise, known)
        key = (id(network), *settings)
        if key not in self._samplers:
            # Compiled once per setting: an eager loop over the U-Net
            # would cost more than its arithmetic.
            self._samplers[key] = backend.compiled(run, network.variables)
        return self._samplers[key](x, labels, fresh_noise, known)

    def _reverse(self, network, x, labels, steps, guidance_scale,
                 sampler="ddim", eta=0.0, first_timestep=None,
                 resample=(1, 1), fresh_noise=None, known=None):  # fmt: skip
        def predict(x, t):
            return diffusion_sampling.guided_prediction(
                network, x, t, labels, guidance_scale, self.num_classes
            )

        return diffusion_sampling.reverse_process(
            self.schedule, predict, x, steps, self.prediction, sampler, eta,
            fresh_noise, known, first_timestep, resample,
        )  # fmt: skip

    def generate(
        self,
        num_images=None,
        z=None,
        seed=None,
        labels=None,
        batch_size=None,
        steps=None,
        sampler="ddim",
        eta=0.0,
        guidance_scale=None,
    ):
        """Generates images; see `GenerativeModel.generate`.

        Args:
            num_images, z, seed, labels, batch_size: as for every zoo
                model; `z` is the initial noise `(batch, H * W * C)`. The
                seed also draws the stochastic samplers' fresh noise, each
                image's its own: an image does not depend on `batch_size`
                or on the images drawn with it.
            steps: int or None. Timesteps visited; defaults to
                `sampling_steps`.
            sampler: str. `"ddim"` (the default) or `"ddpm"`, the
                ancestral sampler of Ho et al. (2020).
            eta: float >= 0. Fresh noise of DDIM steps (0: deterministic;
                1 with every timestep: the same as `"ddpm"`).
            guidance_scale: float or None. Defaults to `guidance_scale`.

        Returns:
            A float32 numpy array `(batch, H, W, C)` with values in [0, 1].
        """
        if sampler not in diffusion_sampling.SAMPLERS:
            raise ValueError(
                f"Unknown sampler {sampler!r}. Expected one of: "
                f"{', '.join(diffusion_sampling.SAMPLERS)}."
            )
        if not eta >= 0:
            raise ValueError(f"`eta` must be >= 0. Received: {eta!r}")
        if (
            steps is None
            and sampler == "ddim"
            and eta == 0
            and (guidance_scale is None)
        ):
            return super().generate(num_images, z, seed, labels, batch_size)
        steps = self.sampling_steps if steps is None else steps
        self.schedule.sampling_timesteps(steps)
        if guidance_scale is None:
            guidance_scale = self.guidance_scale
        guidance_scale = _check_guidance(guidance_scale)
        z = self._latent_for(num_images, z, seed, labels)
        labels = self.check_labels(labels, len(z))
        draws = steps if sampler == "ddpm" or eta > 0 else 0
        parts = diffusion_sampling.noise_parts(
            seed, len(z), draws, self.image_shape,
            generate_batch_size(batch_size),
        )  # fmt: skip
        chunks = []
        for part, fresh in parts:
            x = z[part].reshape(-1, *self.image_shape)
            part_labels = None if labels is None else labels[part]
            images = self.sample(
                x, part_labels, steps, guidance_scale, sampler, eta, fresh
            )
            chunks.append(ops.convert_to_numpy(to_unit(images)))
        return np.concatenate(chunks).astype("float32")

    def _table(self, values):
        return ops.convert_to_tensor(np.asarray(values, "float32"))

    # === Config ===

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "channel_multipliers": list(self.channel_multipliers),
                "num_res_blocks": self.num_res_blocks,
                "attention": self.attention,
                "timesteps": self.schedule.timesteps,
                "schedule": self.schedule.schedule,
                "prediction": self.prediction,
                "sampling_steps": self.sampling_steps,
                "label_dropout": self.label_dropout,
                "guidance_scale": self.guidance_scale,
            }
        )
        return config


def _check_guidance(scale):
    return check_number("guidance_scale", scale, low=0.0)
