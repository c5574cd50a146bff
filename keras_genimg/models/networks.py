"""Builders for the convolutional networks of the zoo, sized from an image.

Every builder returns a ``Network``, a functional ``keras.Model``. The
spatial plan is shared: an image of ``H x W`` is halved ``num_levels``
times down to a base grid of at least ``4 x 4`` (28 -> 14 -> 7,
32 -> 16 -> 8 -> 4, 64 -> ... -> 4), so encoders and discriminators
downsample along that plan and decoders and generators upsample back
along it.
"""

from typing import NamedTuple

import keras
from keras import layers

from keras_genimg.models import backend
from keras_genimg.models.activations import LeakyReLU
from keras_genimg.models.batch_normalization import BatchNormalization
from keras_genimg.models.convolutions import Conv2D, Conv2DTranspose
from keras_genimg.models.spectral_normalization import SpectralNormalization

MIN_BASE_SIZE = 4
MIN_LEVELS = 2
MAX_FILTERS = 512


@keras.saving.register_keras_serializable(package="keras_genimg")
class Network(keras.Model):
    """A functional `keras.Model` that calls its layers directly where
    that is faster.

    Built and used as `keras.Model(inputs, outputs)` is. On PyTorch an
    eager call runs the layers' `call` one after another, without Keras'
    `__call__` around each (see `keras_genimg.models.backend.direct_calls`):
    the same numbers, in less time. A network made only of layers that
    torch computes directly (`backend.torch_layers`), called on tensors of
    its input shapes with `training=True` or `False`, skips Keras'
    `__call__` around the network as well. Elsewhere, and for what the
    direct calls do not cover (masks, mixed precision), Keras runs the
    graph.

    Example:
    >>> inputs = keras.Input((3,))
    >>> network = Network(inputs, keras.layers.Dense(2)(inputs))
    >>> tuple(network(keras.ops.ones((4, 3))).shape)
    (4, 2)
    """

    if backend.call_layers is not None:
        # Only where the backend runs steps eagerly (PyTorch): a traced
        # step pays for Keras' `__call__` once, and TensorFlow's AutoGraph
        # would convert this method in every traced function.
        def __call__(self, *args, **kwargs):
            if (
                len(args) == 1
                and kwargs.keys() == {"training"}
                and isinstance(kwargs["training"], bool)
            ):
                outputs = backend.call_layers(
                    self, args[0], kwargs["training"], whole=True
                )
                if outputs is not None:
                    return outputs
            return super().__call__(*args, **kwargs)

    def call(self, inputs, training=None, mask=None):
        # Keras passes a list of Nones as the mask of a list of inputs.
        no_mask = all(m is None for m in keras.tree.flatten(mask))
        if backend.call_layers is not None and no_mask:
            outputs = backend.call_layers(self, inputs, training)
            if outputs is not None:
                return outputs
        return super().call(inputs, training=training, mask=mask)


def validate_image_shape(image_shape):
    """Checks an image shape and returns it as a tuple of three ints.

    Args:
        image_shape: tuple `(height, width, channels)`.

    Returns:
        The shape as a tuple of Python ints.

    Raises:
        ValueError: if the shape is not `(H, W, C)` with positive ints, or
            if `H` and `W` cannot be halved the same number of times (at
            least twice) down to a base grid of at least 4 pixels.
    """
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"`image_shape` must be a tuple (height, width, channels) of "
            f"ints, e.g. (28, 28, 1) or (32, 32, 3). Received: {image_shape!r}"
        ) from None
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"`image_shape` must be (height, width, channels) with positive "
            f"sizes, e.g. (28, 28, 1) or (32, 32, 3). Received: {image_shape!r}"
        )
    height, width, _ = shape
    if _num_levels(height) != _num_levels(width) or (
        _num_levels(height) < MIN_LEVELS
    ):
        raise ValueError(
            f"Unsupported `image_shape` {shape}: height and width must each "
            f"be halvable at least {MIN_LEVELS} times, the same number of "
            f"times, down to a grid of at least {MIN_BASE_SIZE} pixels "
            "(supported sizes include 16, 28, 32, 48, 56, 64, 96 and 128)."
        )
    return shape


def _num_levels(size):
    levels = 0
    while size % 2 == 0 and size // 2 >= MIN_BASE_SIZE:
        size //= 2
        levels += 1
    return levels


class SpatialPlan(NamedTuple):
    """How a network of the zoo walks between an image and its base grid.

    Attributes:
        image_shape: tuple `(height, width, channels)`, checked.
        base_height: int. Height of the base grid.
        base_width: int. Width of the base grid.
        num_levels: int. Times the image is halved down to the base grid.
    """

    image_shape: tuple
    base_height: int
    base_width: int
    num_levels: int


def spatial_plan(image_shape):
    """The `SpatialPlan` of an image shape, checked once.

    Every builder takes an image shape or its plan: a model computes the
    plan once and hands it to each of its networks.

    Args:
        image_shape: tuple `(H, W, C)`, or a `SpatialPlan` (returned as it
            is).

    Returns:
        A `SpatialPlan`.

    Raises:
        ValueError: as `validate_image_shape`.

    Example:
    >>> plan = spatial_plan((28, 28, 1))
    >>> plan.base_height, plan.base_width, plan.num_levels
    (7, 7, 2)
    >>> spatial_plan((64, 64, 3))[1:]
    (4, 4, 4)
    """
    if isinstance(image_shape, SpatialPlan):
        return image_shape
    shape = validate_image_shape(image_shape)
    height, width, _ = shape
    levels = _num_levels(height)
    return SpatialPlan(shape, height >> levels, width >> levels, levels)


def _filters_at(level, filters):
    """Filters of a layer `level` steps below full resolution."""
    return min(filters * 2**level, MAX_FILTERS)


def build_dcgan_generator(
    image_shape, latent_dim, filters=64, name="generator"
):
    """DCGAN generator: latent vector -> image in [-1, 1] (tanh).

    Dense projection to the base grid, then stride-2 transposed
    convolutions with BatchNorm and ReLU, as in Radford et al. (2015).

    Args:
        image_shape: tuple `(H, W, C)` of the generated images, or its
            `SpatialPlan`.
        latent_dim: int. Size of the latent vector.
        filters: int. Filters of the last hidden layer; each level below
            doubles them (capped at 512).
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to `(batch, H, W, C)`.
    """
    plan = spatial_plan(image_shape)
    z = keras.Input((latent_dim,), name="z")
    x = _dcgan_base_grid(z, plan, filters)
    images = _dcgan_upsampling(x, plan, filters)
    return Network(z, images, name=name)


def build_dcgan_discriminator(
    image_shape, filters=64, spectral_norm=False, name="discriminator"
):
    """DCGAN discriminator: image in [-1, 1] -> one real/fake logit.

    Stride-2 convolutions with LeakyReLU(0.2); BatchNorm after every
    convolution but the first, as in Radford et al. (2015), or, with
    `spectral_norm`, spectral normalization of every layer and no
    BatchNorm, as in SNGAN (Miyato et al., 2018).

    Args:
        image_shape: tuple `(H, W, C)` of the input images, or its
            `SpatialPlan`.
        filters: int. Filters of the first convolution; each level doubles
            them (capped at 512).
        spectral_norm: bool. Normalize every layer spectrally instead of
            BatchNorm. Defaults to False.
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, H, W, C)` to `(batch, 1)` logits.
    """
    plan = spatial_plan(image_shape)
    images = keras.Input(plan.image_shape, name="images")
    x = _dcgan_downsampling(images, plan, filters, spectral_norm=spectral_norm)
    x = layers.Flatten()(x)
    logits = normalized(
        layers.Dense(1, dtype="float32", name="logits"), spectral_norm
    )(x)
    return Network(images, logits, name=name)


def normalized(layer, spectral_norm):
    """`layer`, wrapped in `SpectralNormalization` if `spectral_norm`.

    Args:
        layer: a `Conv2D`, `Dense` or `Embedding` layer.
        spectral_norm: bool.

    Returns:
        The layer to call; a wrapper is named `spectral_<layer name>`.
    """
    if not spectral_norm:
        return layer
    return SpectralNormalization(
        layer, dtype=layer.dtype_policy, name=f"spectral_{layer.name}"
    )


def build_vae_encoder(image_shape, latent_dim, filters=32, name="encoder"):
    """VAE encoder: image in [0, 1] -> `[z_mean, z_log_var]`.

    Args:
        image_shape: tuple `(H, W, C)` of the input images, or its
            `SpatialPlan`.
        latent_dim: int. Size of the latent space.
        filters: int. Filters of the first convolution; each level doubles
            them (capped at 512).
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, H, W, C)` to two `(batch, latent_dim)`
        tensors.
    """
    plan = spatial_plan(image_shape)
    images = keras.Input(plan.image_shape, name="images")
    z_mean, z_log_var = _vae_encoder_layers(images, plan, latent_dim, filters)
    return Network(images, [z_mean, z_log_var], name=name)


def build_vae_decoder(image_shape, latent_dim, filters=32, name="decoder"):
    """VAE decoder: latent vector -> per-pixel logits.

    The logits parameterise a Bernoulli likelihood; `sigmoid(logits)` is the
    decoded image in [0, 1].

    Args:
        image_shape: tuple `(H, W, C)` of the decoded images, or its
            `SpatialPlan`.
        latent_dim: int. Size of the latent space.
        filters: int. Filters of the last hidden layer; each level below
            doubles them (capped at 512).
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to `(batch, H, W, C)`.
    """
    plan = spatial_plan(image_shape)
    z = keras.Input((latent_dim,), name="z")
    logits = _vae_decoder_layers(z, plan, filters)
    return Network(z, logits, name=name)


# === Building blocks, shared with `conditional_networks` ===


def _dcgan_base_grid(x, plan, filters):
    """DCGAN generator's start: dense projection of `x` to the base grid.

    Args:
        x: tensor `(batch, features)`, the latent vector (with the one-hot
            label, for a conditional generator).
        plan: `SpatialPlan` of the generated images.
        filters: int. Filters of the generator's last hidden layer.

    Returns:
        The base grid `(batch, base_h, base_w, channels)`, after BatchNorm
        and ReLU.
    """
    _, base_h, base_w, levels = plan
    x = layers.Dense(
        base_h * base_w * _filters_at(levels, filters), use_bias=False
    )(x)
    x = layers.Reshape((base_h, base_w, _filters_at(levels, filters)))(x)
    x = BatchNormalization()(x)
    return layers.ReLU()(x)


def _dcgan_upsampling(x, plan, filters):
    """DCGAN generator's rest: base grid -> image in [-1, 1] (tanh).

    Args:
        x: the base grid, from `_dcgan_base_grid`.
        plan: `SpatialPlan` of the generated images.
        filters: int. Filters of the last hidden layer.

    Returns:
        The float32 images `(batch, H, W, C)`.
    """
    levels = plan.num_levels
    for level in reversed(range(1, levels)):
        x = Conv2DTranspose(
            _filters_at(level - 1, filters),
            4,
            strides=2,
            padding="same",
            use_bias=False,
        )(x)
        x = BatchNormalization()(x)
        x = layers.ReLU()(x)
    channels = plan.image_shape[-1]
    x = Conv2DTranspose(channels, 4, strides=2, padding="same")(x)
    return layers.Activation("tanh", dtype="float32", name="images")(x)


def _dcgan_downsampling(x, plan, filters, batch_norm=True, spectral_norm=False):
    """Stride-2 convolutions with LeakyReLU(0.2) down to the base grid.

    Args:
        x: images `(batch, H, W, C)` in [-1, 1].
        plan: `SpatialPlan` of the images.
        filters: int. Filters of the first convolution.
        batch_norm: bool. Whether BatchNorm follows every convolution but
            the first (the DCGAN discriminator); a convolution followed by
            BatchNorm has no bias. Defaults to True.
        spectral_norm: bool. Normalize every convolution spectrally, with
            no BatchNorm. Defaults to False.

    Returns:
        The feature map on the base grid.
    """
    for level in range(plan.num_levels):
        batch_normalized = batch_norm and not spectral_norm and level > 0
        convolution = Conv2D(
            _filters_at(level, filters),
            4,
            strides=2,
            padding="same",
            use_bias=not batch_normalized,
        )
        x = normalized(convolution, spectral_norm)(x)
        if batch_normalized:
            x = BatchNormalization()(x)
        x = LeakyReLU(0.2)(x)
    return x


def _vae_encoder_layers(x, plan, latent_dim, filters):
    """VAE encoder's layers: image features -> `z_mean, z_log_var`.

    Args:
        x: images `(batch, H, W, C)` (with label maps, for a conditional
            encoder).
        plan: `SpatialPlan` of the images.
        latent_dim: int. Size of the latent space.
        filters: int. Filters of the first convolution.

    Returns:
        Two float32 tensors `(batch, latent_dim)`.
    """
    levels = plan.num_levels
    for level in range(levels):
        x = Conv2D(
            _filters_at(level, filters),
            3,
            strides=2,
            padding="same",
            activation="relu",
        )(x)
    x = layers.Flatten()(x)
    x = layers.Dense(_filters_at(levels + 1, filters), activation="relu")(x)
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, dtype="float32", name="z_log_var")(x)
    return z_mean, z_log_var


def _vae_decoder_layers(x, plan, filters):
    """VAE decoder's layers: latent vector -> per-pixel logits.

    Args:
        x: tensor `(batch, features)`, the latent vector (with the one-hot
            label, for a conditional decoder).
        plan: `SpatialPlan` of the decoded images.
        filters: int. Filters of the last hidden layer.

    Returns:
        The float32 logits `(batch, H, W, C)`.
    """
    _, base_h, base_w, levels = plan
    top_filters = _filters_at(levels - 1, filters)
    x = layers.Dense(base_h * base_w * top_filters, activation="relu")(x)
    x = layers.Reshape((base_h, base_w, top_filters))(x)
    for level in reversed(range(levels)):
        x = Conv2DTranspose(
            _filters_at(level, filters),
            3,
            strides=2,
            padding="same",
            activation="relu",
        )(x)
    return Conv2D(
        plan.image_shape[-1], 3, padding="same", dtype="float32", name="logits"
    )(x)
