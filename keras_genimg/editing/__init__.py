"""Image editing with the zoo's models: `denoise` and `inpaint`.

Both take a trained zoo model and images in [0, 1] and return float32
images in [0, 1]; `inpaint` keeps the known pixels exactly. Masks are
arrays (1 = known) or presets (`make_mask`); `corrupt` adds the noise
the benchmarks restore.
"""

from keras_genimg.editing.corruption import corrupt
from keras_genimg.editing.inversion import invert_generator
from keras_genimg.editing.masks import check_mask, make_mask
from keras_genimg.editing.restoration import (
    denoise,
    estimate_noise_std,
    inpaint,
)

__all__ = [
    "check_mask",
    "corrupt",
    "denoise",
    "estimate_noise_std",
    "inpaint",
    "invert_generator",
    "make_mask",
]
