"""Callback that warns when a GAN's samples stop being diverse."""

import warnings

import keras
import numpy as np


class ModeCollapseWarning(UserWarning):
    """A generator's samples are far less diverse than the real images."""


def nearest_neighbour_distance(images):
    """Mean distance from each image to its nearest other image in the batch.

    The distance is the root-mean-square difference per pixel, so it does
    not depend on the image size. A batch that repeats a few images has a
    mean near 0 even when those few differ a lot, which is why this, not the
    mean pairwise distance, measures a partial collapse.

    Args:
        images: float array `(batch, H, W, C)`, `batch >= 2`.

    Returns:
        float. The mean over the batch.

    Example:
    >>> twins = np.zeros((4, 2, 2, 1), "float32")
    >>> twins[2:] = 1.0
    >>> float(nearest_neighbour_distance(twins))
    0.0
    """
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    if len(flat) < 2:
        raise ValueError(
            f"Need at least 2 images to compare; received {len(flat)}."
        )
    squared = (flat**2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2.0 * flat @ flat.T
    np.fill_diagonal(distances, np.inf)
    nearest = np.sqrt(np.maximum(distances.min(axis=1), 0.0) / flat.shape[1])
    return float(nearest.mean())


class ModeCollapseMonitor(keras.callbacks.Callback):
    """Warns once when a generator's samples lose their diversity.

    At the end of each epoch it generates `num_images` images from fixed
    latent vectors and compares their diversity with that of a batch of
    real images: the ratio of the two batches' mean nearest-neighbour
    distance (`nearest_neighbour_distance`). A healthy generator scores
    near 1; one that has collapsed onto a few outputs scores near 0. The
    ratio is logged as `sample_diversity` every epoch (so `History` and
    `HistoryJSON` keep it); the first time it falls below `threshold`
    after `start_epoch`, a `ModeCollapseWarning` gives the number.

    Args:
        reference_images: float array `(N, H, W, C)` in [0, 1], `N >= 2`.
            Real images; at most `num_images` of them are used, and as
            many images are generated.
        threshold: float. Warn below this ratio. Defaults to 0.3.
        num_images: int. Images compared. Defaults to 64.
        start_epoch: int. First epoch (1-based) that may warn: at the start
            of training every generator's samples look alike. Defaults to 3.
        seed: int. Seed of the fixed latent vectors. Defaults to 0.

    Example:
    >>> real = np.random.default_rng(0).random((64, 28, 28, 1), "float32")
    >>> monitor = ModeCollapseMonitor(real)
    >>> # model.fit(data, epochs=20, callbacks=[monitor])
    """

    def __init__(
        self,
        reference_images,
        threshold=0.3,
        num_images=64,
        start_epoch=3,
        seed=0,
    ):
        super().__init__()
        if int(num_images) < 2:
            raise ValueError(
                f"`num_images` must be >= 2. Received: {num_images!r}"
            )
        if not threshold > 0:
            raise ValueError(
                f"`threshold` must be positive. Received: {threshold!r}"
            )
        reference = np.asarray(reference_images, "float32")[: int(num_images)]
        # The nearest neighbour is nearer in a larger batch: compare
        # batches of the same size.
        self.num_images = len(reference)
        self.reference_diversity = nearest_neighbour_distance(reference)
        if self.reference_diversity == 0.0:
            raise ValueError(
                "The reference images are all identical; pass a batch of "
                "different real images."
            )
        self.threshold = float(threshold)
        self.start_epoch = int(start_epoch)
        self.seed = seed
        self.warned = False

    def diversity(self):
        """The generated batch's diversity relative to the real one."""
        images = self.model.generate(num_images=self.num_images, seed=self.seed)
        return nearest_neighbour_distance(images) / self.reference_diversity

    def on_epoch_end(self, epoch, logs=None):
        ratio = self.diversity()
        if logs is not None:
            logs["sample_diversity"] = ratio
        if not self.warned and epoch + 1 >= self.start_epoch:
            if ratio < self.threshold:
                self.warned = True
                warnings.warn(
                    f"Possible mode collapse in epoch {epoch + 1}: the "
                    f"samples' diversity is {ratio:.3f} of the real "
                    f"images' (warning below {self.threshold}). Lower the "
                    "learning rates, or try wgan_gp.",
                    ModeCollapseWarning,
                    stacklevel=2,
                )
