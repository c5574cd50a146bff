"""The zoo's models: subclassed `keras.Model`s trained with `model.fit`.

They train on every Keras backend (JAX, TensorFlow, PyTorch) and import
without TensorFlow.
"""

from keras_genimg.models.activations import LeakyReLU
from keras_genimg.models.batch_normalization import BatchNormalization
from keras_genimg.models.conditional_gan import ConditionalGAN
from keras_genimg.models.conditional_vae import ConditionalVAE
from keras_genimg.models.convolutions import Conv2D, Conv2DTranspose
from keras_genimg.models.dcgan import DCGAN
from keras_genimg.models.diffusion import DiffusionModel
from keras_genimg.models.generative_model import (
    GenerativeModel,
    dtype_policy_scope,
)
from keras_genimg.models.registry import (
    SET_BY_TRAINING,
    entry,
    get,
    names,
    options,
)
from keras_genimg.models.saving import load_model
from keras_genimg.models.spectral_normalization import SpectralNormalization
from keras_genimg.models.vae import VAE
from keras_genimg.models.wgan_gp import WGANGP

__all__ = [
    "BatchNormalization",
    "Conv2D",
    "Conv2DTranspose",
    "DCGAN",
    "DiffusionModel",
    "LeakyReLU",
    "VAE",
    "WGANGP",
    "ConditionalGAN",
    "ConditionalVAE",
    "GenerativeModel",
    "SpectralNormalization",
    "dtype_policy_scope",
    "entry",
    "get",
    "load_model",
    "names",
    "options",
    "SET_BY_TRAINING",
]
