"""What every GAN of the zoo shares: two networks, two optimizers."""

import keras
from keras import ops

from keras_genimg.models.generative_model import (
    GenerativeModel,
    network_inputs,
    to_unit,
)


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
    adversary, then call `keep_weight_average("generator", use_ema,
    ema_decay)`, call `update_weight_average()` after each generator
    update, and call `compile_adversarial` from their `compile`. They
    take the arguments of `GenerativeModel` and `use_ema`, `ema_decay`.
    """

    ADVERSARY = "discriminator"
    ADVERSARY_OPTIMIZER = "d_optimizer"

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

    @classmethod
    def from_config(cls, config):
        # Files saved before the average existed hold no weights for it.
        return super().from_config({"use_ema": False, **config})

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
        images = self.sampling_network(
            network_inputs(z, labels), training=training
        )
        return ops.cast(to_unit(images), "float32")

    def sample_noise(self, batch_size):
        """Latent vectors `(batch_size, latent_dim)` from the model's seed."""
        return keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )
