"""Callback that writes sample grids as TensorBoard image summaries."""

import os

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from keras_genimg.callbacks.image_grid import make_grid
from keras_genimg.callbacks.sample_metric import generate_balanced

IMAGES_PLUGIN = "images"


class TensorBoardGrid(keras.callbacks.Callback):
    """Writes a grid of generated samples to TensorBoard every N epochs.

    The latent vectors are drawn once, from `seed`, so the images show the
    same samples improving. The grid goes to `log_dir/<run_name>` as an
    image summary at step `epoch` (1-based); with
    `keras.callbacks.TensorBoard(log_dir)` it appears beside the `train`
    and `validation` scalar runs. (Each run has its own folder, because
    TensorBoard reads only the newest event file of a folder while it is
    written.)

    Args:
        log_dir: str or path-like. The TensorBoard log folder.
        num_images: int. Images per grid. Defaults to 64.
        every_n_epochs: int. Write every this many epochs. Defaults to 1.
        seed: int. Seed of the fixed latent vectors. Defaults to 0.
        run_name: str. Subfolder of `log_dir`. Defaults to `"samples"`.
        tag: str. Name of the image summary. Defaults to `"samples"`.

    Example:
    >>> import tempfile
    >>> from keras_genimg.models import VAE
    >>> images = np.random.default_rng(0).random((16, 16, 16, 1), "float32")
    >>> vae = VAE(image_shape=(16, 16, 1), latent_dim=2, filters=8)
    >>> vae.compile()
    >>> log_dir = tempfile.mkdtemp()
    >>> grid = TensorBoardGrid(log_dir, num_images=4)
    >>> _ = vae.fit(images, epochs=1, verbose=0, callbacks=[grid])
    >>> os.listdir(log_dir)
    ['samples']
    """

    def __init__(
        self,
        log_dir,
        num_images=64,
        every_n_epochs=1,
        seed=0,
        run_name="samples",
        tag="samples",
    ):
        super().__init__()
        if num_images < 1 or every_n_epochs < 1:
            raise ValueError(
                "`num_images` and `every_n_epochs` must be >= 1. Received "
                f"num_images={num_images}, every_n_epochs={every_n_epochs}."
            )
        self.log_dir = os.fspath(log_dir)
        self.num_images = int(num_images)
        self.every_n_epochs = int(every_n_epochs)
        self.seed = seed
        self.run_name = run_name
        self.tag = tag
        self._latent = None
        self._writer = None

    def on_train_begin(self, logs=None):
        if self._latent is None:
            self._latent = self.model.sample_latent(
                self.num_images, seed=self.seed
            )
        self._writer = tf.summary.create_file_writer(
            os.path.join(self.log_dir, self.run_name)
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs == 0:
            self.write(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write(self, step):
        """Writes the grid of the model as it is now at `step`."""
        grid = make_grid(generate_balanced(self.model, self._latent))
        with self._writer.as_default():
            write_image_summary(self.tag, grid, step)
        self._writer.flush()


def write_image_summary(tag, image, step):
    """Writes one image summary to the default `tf.summary` writer.

    The summary is the one `tf.summary.image` writes (the TensorBoard
    images plugin's format: width, height and PNG bytes), written with
    TensorFlow alone so that the `tensorboard` package is needed only to
    view it.

    Args:
        tag: str. Summary name.
        image: float array `(H, W, C)` in [0, 1], C 1 or 3.
        step: int. The step (here, the epoch).

    Returns:
        bool. Whether a default writer was there to write it.
    """
    pixels = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype("uint8")
    height, width = pixels.shape[:2]
    tensor = tf.stack(
        [
            tf.constant(str(width)),
            tf.constant(str(height)),
            tf.io.encode_png(pixels),
        ]
    )
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=IMAGES_PLUGIN
        )
    )
    return tf.summary.write(tag, tensor, step=step, metadata=metadata)
