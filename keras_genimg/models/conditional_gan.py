"""`ConditionalGAN`: the name a class-conditional DCGAN once had."""

import keras

from keras_genimg.models.dcgan import DCGAN


@keras.saving.register_keras_serializable(package="keras_genimg")
class ConditionalGAN:
    """Builds a class-conditional `DCGAN`; loads `.keras` files saved as
    `ConditionalGAN`.

    `ConditionalGAN(image_shape, num_classes=10, ...)` returns
    `DCGAN(image_shape, num_classes=num_classes, ...)`: the conditional
    GAN is a `DCGAN` with `num_classes` set.

    Example:
    >>> gan = ConditionalGAN((16, 16, 1), num_classes=3, filters=8)
    >>> type(gan).__name__, gan.num_classes
    ('DCGAN', 3)
    """

    def __new__(cls, image_shape, num_classes=10, **kwargs):
        return DCGAN(image_shape, num_classes=num_classes, **kwargs)

    @classmethod
    def from_config(cls, config):
        return DCGAN.from_config(config)

    def get_config(self):  # never called: instances are DCGANs
        raise NotImplementedError
