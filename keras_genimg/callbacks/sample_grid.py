"""Callback that writes a grid of generated samples while training."""

import os

import keras
import numpy as np

from keras_genimg.callbacks.image_grid import save_image_grid


class SampleGrid(keras.callbacks.Callback):
    """Saves a grid of generated images every few epochs.

    The latent vectors are drawn once, from `seed`, when training begins,
    so consecutive grids show the same samples improving. Files are
    `directory/epoch_0001.png`, `epoch_0002.png`, ... For a model with a
    `reconstruct` method (a VAE) given `reconstruction_images`, it also
    writes `reconstructions_epoch_0001.png`, ...: the originals and their
    reconstructions in alternating columns.

    Works with any model of the zoo: it needs `generate(z=...)` and
    `sample_latent(num_images, seed)`, or `generate(num_images, seed=...)`.
    A conditional model (one with `num_classes`) gets one row per class,
    `num_images // num_classes` images wide (at least one), the same
    latent vectors in every row; its reconstructions need
    `reconstruction_labels`.

    Args:
        directory: str or path-like. Where the PNGs go; created if missing.
        num_images: int. Images per grid. Defaults to 64 (an 8x8 grid).
        every_n_epochs: int. Write a grid every this many epochs.
            Defaults to 1.
        seed: int. Seed of the fixed latent vectors. Defaults to 0.
        reconstruction_images: float array `(N, H, W, C)` in [0, 1] or
            None. A fixed batch to reconstruct, for models that can.
        reconstruction_labels: int array `(N,)` or None. The classes of
            `reconstruction_images`, for a conditional model.

    Example:
    >>> import numpy as np, tempfile
    >>> from keras_genimg.models import VAE
    >>> images = np.random.default_rng(0).random((32, 28, 28, 1), "float32")
    >>> vae = VAE(image_shape=(28, 28, 1), latent_dim=4, seed=0)
    >>> vae.compile()
    >>> out = tempfile.mkdtemp()
    >>> grid = SampleGrid(out, num_images=16, reconstruction_images=images[:8])
    >>> _ = vae.fit(images, epochs=1, verbose=0, callbacks=[grid])
    >>> sorted(os.listdir(out))
    ['epoch_0001.png', 'reconstructions_epoch_0001.png']
    """

    def __init__(
        self,
        directory,
        num_images=64,
        every_n_epochs=1,
        seed=0,
        reconstruction_images=None,
        reconstruction_labels=None,
    ):
        super().__init__()
        if num_images < 1 or every_n_epochs < 1:
            raise ValueError(
                "`num_images` and `every_n_epochs` must be >= 1. Received "
                f"num_images={num_images}, every_n_epochs={every_n_epochs}."
            )
        self.directory = os.fspath(directory)
        self.num_images = int(num_images)
        self.every_n_epochs = int(every_n_epochs)
        self.seed = seed
        self.reconstruction_images = reconstruction_images
        self.reconstruction_labels = reconstruction_labels
        self._latent = None

    def on_train_begin(self, logs=None):
        if (
            self.reconstruction_images is not None
            and self.reconstruction_labels is None
            and getattr(self.model, "num_classes", None) is not None
            and hasattr(self.model, "reconstruct")
        ):
            raise ValueError(
                f"{type(self.model).__name__} is conditional: pass "
                "`reconstruction_labels`, the classes of "
                "`reconstruction_images`."
            )
        os.makedirs(self.directory, exist_ok=True)
        if self._latent is None and hasattr(self.model, "sample_latent"):
            self._latent = self.model.sample_latent(
                self._num_columns() or self.num_images, seed=self.seed
            )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs == 0:
            self.write(epoch + 1)

    def write(self, epoch):
        """Writes the grids for `epoch` (1-based) and returns their paths."""
        paths = [self._path("epoch", epoch)]
        columns = self._num_columns()
        if columns:
            save_image_grid(
                paths[0], self._class_rows(columns), num_columns=columns
            )
        elif self._latent is not None:
            save_image_grid(paths[0], self.model.generate(z=self._latent))
        else:
            save_image_grid(
                paths[0], self.model.generate(self.num_images, seed=self.seed)
            )
        if self.reconstruction_images is not None and hasattr(
            self.model, "reconstruct"
        ):
            originals = np.asarray(self.reconstruction_images, "float32")
            if getattr(self.model, "num_classes", None) is not None:
                reconstructed = self.model.reconstruct(
                    originals, self.reconstruction_labels
                )
            else:
                reconstructed = self.model.reconstruct(originals)
            pairs = np.stack([originals, reconstructed], axis=1)
            paths.append(self._path("reconstructions_epoch", epoch))
            save_image_grid(
                paths[1],
                pairs.reshape((-1,) + originals.shape[1:]),
                num_columns=2 * _pair_columns(len(originals)),
            )
        return paths

    def _num_columns(self):
        """Images per class row for a conditional model, else None."""
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes is None:
            return None
        return max(1, self.num_images // num_classes)

    def _class_rows(self, columns):
        """One row per class, the same latents in every row."""
        num_classes = self.model.num_classes
        labels = np.repeat(np.arange(num_classes), columns)
        if self._latent is None:
            return self.model.generate(
                num_classes * columns, seed=self.seed, labels=labels
            )
        z = np.tile(self._latent, (num_classes, 1))
        return self.model.generate(z=z, labels=labels)

    def _path(self, prefix, epoch):
        return os.path.join(self.directory, f"{prefix}_{epoch:04d}.png")


def _pair_columns(num_pairs):
    """Pairs per row so the reconstruction grid is roughly square."""
    return max(1, int(np.ceil(np.sqrt(num_pairs / 2))))
