"""The denoising U-Net of the diffusion model, sized from an image shape.

A small version of the U-Net of Ho et al. (2020): residual blocks with
GroupNorm and SiLU that each add a projection of the timestep's
embedding, skip connections between the downsampling and upsampling
paths, optional self-attention at the lowest resolution, and a zero-
initialised output convolution (the first predictions are 0).
"""

import math
import warnings

import keras
from keras import layers, ops

from keras_genimg.models.convolutions import Conv2D
from keras_genimg.models.networks import Network, spatial_plan

GROUPS = 8


@keras.saving.register_keras_serializable(package="keras_genimg")
class TimestepEmbedding(layers.Layer):
    """Sinusoidal embedding of diffusion timesteps (Vaswani et al., 2017).

    Maps timesteps `(batch,)` to `(batch, dim)`: sines and cosines of the
    timestep at `dim / 2` frequencies from 1 to 1/10000.

    Args:
        dim: int. Even size of the embedding.

    Example:
    >>> import numpy as np
    >>> embedding = TimestepEmbedding(4)
    >>> keras.ops.convert_to_numpy(embedding(np.array([0.0]))).tolist()
    [[0.0, 0.0, 1.0, 1.0]]
    """

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        if dim < 2 or dim % 2:
            raise ValueError(f"`dim` must be even and >= 2. Received: {dim!r}")
        self.dim = int(dim)

    def call(self, timesteps):
        half = self.dim // 2
        frequencies = ops.exp(
            -math.log(10000.0) * ops.arange(half, dtype="float32") / half
        )
        angles = ops.cast(timesteps, "float32")[:, None] * frequencies
        embedding = ops.concatenate([ops.sin(angles), ops.cos(angles)], -1)
        return ops.cast(embedding, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def check_unet_levels(image_shape, channel_multipliers):
    """Checks that the image halves once per level after the first.

    Args:
        image_shape: tuple `(H, W, C)` or its `SpatialPlan`.
        channel_multipliers: tuple of ints, one per level.

    Returns:
        The image shape's `SpatialPlan`.
    """
    plan = spatial_plan(image_shape)
    shape = plan.image_shape
    halvings = len(channel_multipliers) - 1
    if len(channel_multipliers) < 1 or any(
        size % 2**halvings for size in shape[:2]
    ):
        raise ValueError(
            f"A U-Net with {len(channel_multipliers)} levels halves the "
            f"image {halvings} times: height and width must be divisible by "
            f"{2**halvings}. Received image_shape {shape}."
        )
    return plan


def warn_of_narrow_levels(filters, channel_multipliers):
    """Warns when a level has under two channels per GroupNorm group.

    GroupNorm then normalizes each channel on its own, which takes out
    the constant a residual block adds to a channel from the timestep's
    (and the label's) embedding: the network cannot tell the noise level
    at that level. Called by `DiffusionModel.__init__`; the warning names
    the line that built the model.

    Args:
        filters: int. Channels of the first level.
        channel_multipliers: tuple of ints, one per level.

    Example:
    >>> warn_of_narrow_levels(16, (1, 2))  # no level under 16 channels
    """
    narrowest = filters * min(channel_multipliers)
    if narrowest < 2 * GROUPS:
        warnings.warn(
            f"A U-Net level of {narrowest} channels has one channel per "
            f"GroupNormalization group ({GROUPS} groups), which removes the "
            f"timestep's and the label's shift there: use filters x the "
            f"smallest channel multiplier >= {2 * GROUPS}.",
            stacklevel=3,
        )


def build_unet(
    image_shape,
    filters=32,
    channel_multipliers=(1, 2, 2),
    num_res_blocks=1,
    attention=False,
    num_classes=None,
):
    """Builds the noise-prediction U-Net.

    Args:
        image_shape: tuple `(H, W, C)` or its `SpatialPlan`.
        filters: int. Channels of the first level. Levels of fewer than
            16 channels lose the timestep (`warn_of_narrow_levels`).
        channel_multipliers: tuple of ints. Channels of each level, in
            multiples of `filters`; the image is halved between levels.
        num_res_blocks: int. Residual blocks per level on the way down.
        attention: bool. Self-attention at the lowest resolution.
        num_classes: int or None. With classes, the network takes labels
            in `[0, num_classes]`, `num_classes` meaning "no label" (for
            classifier-free guidance).

    Returns:
        A `keras.Model` from `[noisy_images, timesteps]` (and `labels`) to
        a tensor of the images' shape.

    Example:
    >>> unet = build_unet((16, 16, 1), filters=16, channel_multipliers=(1, 2))
    >>> [tuple(x.shape) for x in unet.inputs]
    [(None, 16, 16, 1), (None,)]
    """
    image_shape = check_unet_levels(image_shape, channel_multipliers)[0]
    noisy = keras.Input(image_shape, name="noisy_images")
    timesteps = keras.Input((), name="timesteps")
    inputs = [noisy, timesteps]
    embedding_dim = 4 * filters
    embedding = TimestepEmbedding(filters)(timesteps)
    embedding = layers.Dense(embedding_dim, activation="silu")(embedding)
    embedding = layers.Dense(embedding_dim)(embedding)
    if num_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        embedding = layers.Add()(
            [
                embedding,
                layers.Embedding(num_classes + 1, embedding_dim)(labels),
            ]
        )
    embedding = layers.Activation("silu")(embedding)

    x = Conv2D(filters, 3, padding="same")(noisy)
    skips = [x]
    last = len(channel_multipliers) - 1
    for level, multiplier in enumerate(channel_multipliers):
        for _ in range(num_res_blocks):
            x = residual_block(x, embedding, filters * multiplier)
            skips.append(x)
        if level < last:
            x = Conv2D(x.shape[-1], 3, strides=2, padding="same")(x)
            skips.append(x)

    x = residual_block(x, embedding, x.shape[-1])
    if attention:
        x = attention_block(x)
    x = residual_block(x, embedding, x.shape[-1])

    for level in reversed(range(len(channel_multipliers))):
        for _ in range(num_res_blocks + 1):
            x = layers.Concatenate()([x, skips.pop()])
            x = residual_block(
                x, embedding, filters * channel_multipliers[level]
            )
        if level > 0:
            x = layers.UpSampling2D(2)(x)
            x = Conv2D(x.shape[-1], 3, padding="same")(x)

    x = layers.GroupNormalization(GROUPS)(x)
    x = layers.Activation("silu")(x)
    outputs = Conv2D(
        image_shape[-1], 3, padding="same", kernel_initializer="zeros"
    )(x)
    # The prediction in float32, whatever the layers compute in.
    outputs = layers.Activation("linear", dtype="float32")(outputs)
    return Network(inputs, outputs, name="unet")


def residual_block(x, embedding, channels):
    """GroupNorm-SiLU-conv twice, the timestep's embedding added between."""
    shortcut = x
    if x.shape[-1] != channels:
        shortcut = Conv2D(channels, 1)(x)
    x = layers.GroupNormalization(GROUPS)(x)
    x = layers.Activation("silu")(x)
    x = Conv2D(channels, 3, padding="same")(x)
    shift = layers.Dense(channels)(embedding)
    x = layers.Add()([x, layers.Reshape((1, 1, channels))(shift)])
    x = layers.GroupNormalization(GROUPS)(x)
    x = layers.Activation("silu")(x)
    x = Conv2D(channels, 3, padding="same")(x)
    return layers.Add()([x, shortcut])


def attention_block(x):
    """Self-attention over the pixels of `x`, with a residual connection."""
    _, height, width, channels = x.shape
    h = layers.GroupNormalization(GROUPS)(x)
    h = layers.Reshape((height * width, channels))(h)
    h = layers.MultiHeadAttention(4, channels // 4)(h, h)
    h = layers.Reshape((height, width, channels))(h)
    return layers.Add()([x, h])
