"""The zoo's models: subclassed `keras.Model`s trained with `model.fit`."""

from keras_genimg.models.dcgan import DCGAN
from keras_genimg.models.generative_model import (
    GenerativeModel,
    dtype_policy_scope,
)
from keras_genimg.models.registry import get, names
from keras_genimg.models.vae import VAE

__all__ = [
    "DCGAN",
    "VAE",
    "GenerativeModel",
    "dtype_policy_scope",
    "get",
    "names",
]
