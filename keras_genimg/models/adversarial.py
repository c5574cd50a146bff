"""What every GAN of the zoo shares: two networks, two optimizers."""

import keras
from keras import ops

from keras_genimg.models.argument_checks import check_number
from keras_genimg.models.generative_model import (
    GenerativeModel,
    network_inputs,
    to_unit,
)
from keras_genimg.models.weight_average import averaged_copy, update_average


class AdversarialModel(GenerativeModel):
    """A `GenerativeModel` whose generator trains against an adversary.

    The generator (`self.generator`, tanh output in [-1, 1]) maps latent
    vectors, and for a conditional model labels, to images. The
    generator's optimizer is Keras' own `model.optimizer` (also
    `g_optimizer`), so callbacks that read `model.optimizer.iterations`
    count generator steps. The adversary's optimizer is stored under
    `ADVERSARY_OPTIMIZER` (e.g. `d_optimizer`), loss-scaled under float16,
    saved in the compile config and built at compile time, so its state
    is saved and restored with the model, and threaded through the JAX
    step as an `extra_optimizers` entry.

    With `use_ema` (the default), the model also keeps an exponential
    moving average of the generator's weights, `self.ema_generator`
    (Yazıcı et al., 2019), updated after every generator step; sampling
    (`generate`, `latent_to_images`, sample grids, evaluation, export)
    uses it, while training goes on with the raw `self.generator`. Set
    `model.use_ema = False` to sample from the raw generator.

    Subclasses set `ADVERSARY` (the attribute holding the adversary
    network) and `ADVERSARY_OPTIMIZER`, build `self.generator` and the
    adversary, then call `average_generator()`, call
    `update_generator_average()` after each generator update, and call
    `compile_adversarial` from their `compile`.

    Args:
        image_shape, latent_dim, num_classes, seed: as for
            `GenerativeModel`.
        use_ema: bool. Keep and sample from the average of the
            generator's weights. Defaults to True.
        ema_decay: float in [0, 1). Decay of the average per generator
            step (0: the average is the last weights). Defaults to 0.999.
        **kwargs: passed to `keras.Model`.
    """

    ADVERSARY = "discriminator"
    ADVERSARY_OPTIMIZER = "d_optimizer"

    def __init__(self, *args, use_ema=True, ema_decay=0.999, **kwargs):
        super().__init__(*args, **kwargs)
        self._use_ema = bool(use_ema)
        self.ema_decay = check_number("ema_decay", ema_decay, 0.0, below=1.0)
        self.ema_generator = None

    def average_generator(self):
        """Creates `ema_generator`, the average of `generator`'s weights."""
        if self._use_ema:
            with self.policy_scope():
                self.ema_generator = averaged_copy(
                    self.generator, "ema_generator"
                )

    def update_generator_average(self):
        """Moves `ema_generator` towards the generator; called in a step."""
        if self.ema_generator is not None:
            update_average(
                self.ema_generator,
                self.generator,
                self.ema_decay,
                self.optimizer.iterations,
            )

    @property
    def use_ema(self):
        """Whether sampling uses the average of the generator's weights."""
        return self._use_ema

    @use_ema.setter
    def use_ema(self, value):
        if value and self.ema_generator is None:
            raise ValueError(
                "This model keeps no average of its generator's weights: "
                "build it with `use_ema=True`."
            )
        if bool(value) != self._use_ema:
            self._use_ema = bool(value)
            self._compiled_latent_to_images = None

    def compile_adversarial(
        self, adversary_optimizer, g_optimizer, default, **kwargs
    ):
        """Compiles with the two optimizers; `default()` makes a missing one.

        Args:
            adversary_optimizer: optimizer of the adversary, or None.
            g_optimizer: optimizer of the generator, or None.
            default: callable returning a new default optimizer.
            **kwargs: passed to `keras.Model.compile`; `optimizer`, as in
                Keras, is the generator's.
        """
        if "optimizer" in kwargs:
            if g_optimizer is not None:
                raise TypeError(
                    "Pass the generator's optimizer once: `g_optimizer` or "
                    "`optimizer`."
                )
            g_optimizer = kwargs.pop("optimizer")
        setattr(
            self,
            self.ADVERSARY_OPTIMIZER,
            self.loss_scaled(adversary_optimizer or default()),
        )
        super().compile(optimizer=g_optimizer or default(), **kwargs)

    @property
    def g_optimizer(self):
        """The generator's optimizer (the same object as `optimizer`)."""
        return self.optimizer

    @property
    def adversary_optimizer(self):
        return getattr(self, self.ADVERSARY_OPTIMIZER, None)

    @property
    def extra_optimizers(self):
        optimizer = self.adversary_optimizer
        return [] if optimizer is None else [optimizer]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                # Whether the average exists (its weights are in the file),
                # and whether sampling uses it.
                "use_ema": self.ema_generator is not None,
                "ema_decay": self.ema_decay,
                "sample_with_ema": self._use_ema,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # Files saved before the average existed hold no weights for it.
        config = {"use_ema": False, **config}
        sample_with_ema = config.pop("sample_with_ema", config["use_ema"])
        model = super().from_config(config)
        model.use_ema = sample_with_ema
        return model

    def get_compile_config(self):
        config = super().get_compile_config()
        if config:
            config["g_optimizer"] = config.pop("optimizer")
            config[self.ADVERSARY_OPTIMIZER] = (
                keras.saving.serialize_keras_object(self.adversary_optimizer)
            )
        return config

    def build_optimizers(self):
        adversary = getattr(self, self.ADVERSARY)
        self.adversary_optimizer.build(adversary.trainable_variables)
        self.optimizer.build(self.generator.trainable_variables)

    # === Forward passes ===

    def call(self, inputs, training=False):
        """Generates images in [0, 1] from `z`, or `(z, labels)`."""
        if self.is_conditional:
            z, labels = inputs
            return self.latent_to_images(z, labels, training=training)
        return self.latent_to_images(inputs, training=training)

    def latent_to_images(self, z, labels=None, training=False):
        if self.is_conditional:
            z = ops.convert_to_tensor(z, "float32")
            labels = ops.convert_to_tensor(labels, "int32")
        generator = self.ema_generator if self._use_ema else self.generator
        images = generator(network_inputs(z, labels), training=training)
        return ops.cast(to_unit(images), "float32")

    def sample_noise(self, batch_size):
        """Latent vectors `(batch_size, latent_dim)` from the model's seed."""
        return keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )
