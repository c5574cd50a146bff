"""The zoo's models by name, with the defaults `genimg train` uses."""

import dataclasses
import inspect

from keras_genimg.models.dcgan import DCGAN
from keras_genimg.models.diffusion import DiffusionModel
from keras_genimg.models.generative_model import GenerativeModel
from keras_genimg.models.vae import VAE
from keras_genimg.models.wgan_gp import WGANGP


@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo: its class and how it trains by default.

    Args:
        model_class: the `GenerativeModel` subclass.
        conditional: bool. Whether it is built with `num_classes` and
            trains on `(images, labels)`.
        latent_dim: int or None. Default size of the latent vector; None
            where the image shape sets it (the diffusion model's latent
            vector is its initial noise).
        batch_size: int. Default training batch size. Per image, a step
            costs about the same at 32 as at 64 on a CPU, and the GANs'
            samples improve with the number of steps more than with batch
            size.
        epochs: int. Default number of epochs on MNIST-sized data.
        options: dict. Constructor arguments that make this entry of its
            class (e.g. the hinge loss and spectral norm of `sngan`).
    """

    model_class: type
    conditional: bool
    latent_dim: int | None
    batch_size: int
    epochs: int = 10
    options: dict = dataclasses.field(default_factory=dict)


_ZOO = {
    "cgan": ZooEntry(DCGAN, True, latent_dim=100, batch_size=32),
    # beta = 2 keeps the class out of z, so the label decides it: samples
    # of the asked class about 98% of the time against 90% at beta = 1.
    "cvae": ZooEntry(
        VAE,
        True,
        latent_dim=16,
        batch_size=16,
        options={"beta": 2.0, "prior_components": 10},
    ),
    "dcgan": ZooEntry(DCGAN, False, latent_dim=100, batch_size=32),
    # About 90 s an epoch on 2 CPU cores in bfloat16; 14 epochs reach a
    # judge FCD of 9 on MNIST (benchmarks/RESULTS.md, "Diffusion").
    "ddpm": ZooEntry(
        DiffusionModel, False, latent_dim=None, batch_size=64, epochs=15
    ),
    "sngan": ZooEntry(
        DCGAN,
        False,
        latent_dim=100,
        batch_size=32,
        options={"loss": "hinge", "spectral_norm": True},
    ),
    # Small batches: 10 epochs of MNIST are then 12,500 steps, which the
    # VAE needs to sharpen (judge FCD about 25 against 30.8 at batch 64),
    # and a prior fitted to its codes, from which samples are drawn (FCD
    # about 8 against 25; benchmarks/RESULTS.md, "The VAEs' defaults").
    "vae": ZooEntry(
        VAE,
        False,
        latent_dim=16,
        batch_size=8,
        options={"prior_components": 10},
    ),
    # A batch is split into n_critic = 5 critic batches; on a CPU, more
    # generator steps of 16 beat fewer of 32 for the same time. The
    # generator learns from 1 step in 6: on MNIST it needs about 60 epochs
    # for well-formed digits where the others need 10 to 15.
    "wgan_gp": ZooEntry(
        WGANGP, False, latent_dim=100, batch_size=5 * 16, epochs=60
    ),
}

# Classes of a conditional registry entry when none are given.
DEFAULT_NUM_CLASSES = 10

# Constructor arguments that training sets from the data and the seed.
SET_BY_TRAINING = ("image_shape", "num_classes", "latent_dim", "seed")


def names():
    """Returns the names of the zoo's models, sorted.

    Example:
    >>> names()
    ['cgan', 'cvae', 'dcgan', 'ddpm', 'sngan', 'vae', 'wgan_gp']
    """
    return sorted(_ZOO)


def entry(name):
    """The `ZooEntry` of a model name; raises for an unknown name.

    Example:
    >>> entry("wgan_gp").epochs, entry("cvae").conditional
    (60, True)
    """
    try:
        return _ZOO[name]
    except KeyError:
        raise ValueError(
            f"Unknown model {name!r}. Expected one of: {', '.join(names())}."
        ) from None


def options(name):
    """The constructor options of a zoo model and their defaults.

    These are the keyword arguments of the model's class (and of its
    bases up to `GenerativeModel`) other than those training sets from
    the data (`SET_BY_TRAINING`), with the entry's own options as the
    defaults where it has them.

    Args:
        name: str. One of `names()`.

    Returns:
        A dict from option name to default value, sorted by name.

    Example:
    >>> options("sngan")["loss"], options("dcgan")["use_ema"]
    ('hinge', True)
    >>> "latent_dim" in options("vae")
    False
    """
    zoo_entry = entry(name)
    defaults = {}
    for cls in zoo_entry.model_class.__mro__:
        if not issubclass(cls, GenerativeModel) or "__init__" not in vars(cls):
            continue
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if (
                parameter.default is not inspect.Parameter.empty
                and parameter.name not in SET_BY_TRAINING
            ):
                defaults.setdefault(parameter.name, parameter.default)
    defaults.update(zoo_entry.options)
    return dict(sorted(defaults.items()))


def get(name, **kwargs):
    """Builds a zoo model by name.

    `cgan` and `cvae` are the `DCGAN` and `VAE` with `num_classes` set
    (10 unless given; the `cvae` with `beta=2`); both VAEs have a
    10-component latent prior to fit (`VAE.fit_prior`); `sngan` is the `DCGAN`
    with the hinge loss and a spectrally normalized discriminator (Miyato
    et al., 2018).

    Args:
        name: str. One of `names()`, e.g. `"vae"` or `"wgan_gp"`.
        **kwargs: passed to the model's constructor (`image_shape`, ...).

    Returns:
        The new, uncompiled model.

    Example:
    >>> model = get("vae", image_shape=(28, 28, 1), latent_dim=8)
    >>> type(model).__name__
    'VAE'
    >>> get("cgan", image_shape=(16, 16, 1), filters=8).num_classes
    10
    >>> get("sngan", image_shape=(16, 16, 1), filters=8).spectral_norm
    True
    >>> get("cvae", image_shape=(16, 16, 1), filters=8).beta
    2.0
    """
    zoo_entry = entry(name)
    if zoo_entry.conditional:
        kwargs.setdefault("num_classes", DEFAULT_NUM_CLASSES)
    return zoo_entry.model_class(**{**zoo_entry.options, **kwargs})
