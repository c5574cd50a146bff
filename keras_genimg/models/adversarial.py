"""What every GAN of the zoo shares: two networks, two optimizers."""

import keras


class AdversarialOptimizers:
    """Mixin for a `GenerativeModel` trained against an adversary.

    The generator's optimizer is Keras' own `model.optimizer` (also
    `g_optimizer`), so callbacks that read `model.optimizer.iterations`
    count generator steps. The adversary's optimizer is stored under
    `ADVERSARY_OPTIMIZER` (e.g. `d_optimizer`), loss-scaled under float16,
    saved in the compile config and built at compile time, so its state
    is saved and restored with the model.

    Subclasses set `ADVERSARY` (the attribute holding the adversary
    network) and `ADVERSARY_OPTIMIZER`, and call `compile_adversarial`
    from their `compile`.
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
            **kwargs: passed to `keras.Model.compile`.
        """
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
        return getattr(self, self.ADVERSARY_OPTIMIZER)

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
