"""Look up zoo models by name, as the command line does."""

from keras_genimg.models.conditional_gan import ConditionalGAN
from keras_genimg.models.conditional_vae import ConditionalVAE
from keras_genimg.models.dcgan import DCGAN
from keras_genimg.models.vae import VAE
from keras_genimg.models.wgan_gp import WGANGP

_MODELS = {
    "cgan": ConditionalGAN,
    "cvae": ConditionalVAE,
    "dcgan": DCGAN,
    "vae": VAE,
    "wgan_gp": WGANGP,
}


def names():
    """Returns the names of the zoo's models, sorted.

    Example:
    >>> names()
    ['cgan', 'cvae', 'dcgan', 'vae', 'wgan_gp']
    """
    return sorted(_MODELS)


def get(name, **kwargs):
    """Builds a zoo model by name.

    Args:
        name: str. One of `names()`, e.g. `"vae"` or `"wgan_gp"`.
        **kwargs: passed to the model's constructor (`image_shape`, ...).

    Returns:
        The new, uncompiled model.

    Example:
    >>> model = get("vae", image_shape=(28, 28, 1), latent_dim=8)
    >>> type(model).__name__
    'VAE'
    """
    try:
        model_class = _MODELS[name]
    except KeyError:
        raise ValueError(
            f"Unknown model {name!r}. Expected one of: {', '.join(names())}."
        ) from None
    return model_class(**kwargs)
