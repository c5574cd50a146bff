"""`ConditionalVAE`: the name a conditional VAE once had."""

import keras

from keras_genimg.models.vae import VAE


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalVAE:
    """Builds a conditional `VAE`; loads `.keras` files saved as
    `ConditionalVAE`.

    `ConditionalVAE(image_shape, num_classes=10, ...)` returns
    `VAE(image_shape, num_classes=num_classes, ...)`: the conditional VAE
    is a `VAE` with `num_classes` set.

    Example:
    >>> vae = ConditionalVAE((16, 16, 1), num_classes=3, latent_dim=4)
    >>> type(vae).__name__, vae.num_classes
    ('VAE', 3)
    """

    def __new__(cls, image_shape, num_classes=10, **kwargs):
        return VAE(image_shape, num_classes=num_classes, **kwargs)

    @classmethod
    def from_config(cls, config):
        return VAE.from_config(config)

    def get_config(self):  # never called: instances are VAEs
        raise NotImplementedError
