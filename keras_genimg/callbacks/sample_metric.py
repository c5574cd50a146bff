"""Callback that measures sample quality while a model trains."""

import math

import keras
import numpy as np

from keras_genimg.metrics.evaluate import METRICS, compute_metrics
from keras_genimg.metrics.reference import Reference
from keras_genimg.models.trial_limits import limit_samples


class SampleMetric(keras.callbacks.Callback):
    """Logs a sample-quality metric of a fixed set of samples every N epochs.

    When training begins, the features of `reference_images` are computed
    once and `num_images` latent vectors are drawn from `seed`. Every
    `every_n_epochs` epochs the model generates images from those same
    vectors and the chosen metric is added to the epoch's logs as
    `val_<metric>` (e.g. `val_fid`), so `History`, `HistoryJSON`, the
    progress bar, `ModelCheckpoint(monitor="val_fid", mode="min")` and
    `EarlyStopping` see it. On the epochs in between it logs NaN, which
    those callbacks treat as no improvement; `EarlyStopping`'s
    `patience` still counts epochs.

    A conditional model (one with `num_classes`) generates the classes in
    turn, so each is measured equally.

    Put it before the callbacks that read the metric in the `callbacks`
    list: Keras calls them in order.

    Args:
        reference_images: float32 array `(N, H, W, C)` in [0, 1]. Real
            images to compare with.
        extractor: `keras_genimg.metrics.FeatureExtractor`, e.g.
            `judge_extractor("judge.keras")` or `inception_extractor()`.
        metric: str. One of `"fid"`, `"kid"`, `"is"`, `"precision"`,
            `"recall"`. Defaults to `"fid"`.
        num_images: int. Generated images per measurement. Defaults to
            1000.
        every_n_epochs: int. Measure every this many epochs. Defaults to
            1.
        seed: int. Seed of the fixed latent vectors. Defaults to 0.
        name: str or None. Log key. Defaults to `"val_" + metric`.
        **metric_kwargs: passed to `compute_metrics` (`kid_subsets`,
            `kid_subset_size`, `neighbours`).

    Example:
    >>> from keras_genimg.metrics import build_judge, judge_extractor
    >>> from keras_genimg.models import DCGAN
    >>> images = np.random.default_rng(0).random((32, 16, 16, 1), "float32")
    >>> extractor = judge_extractor(build_judge((16, 16, 1), 10, filters=4))
    >>> gan = DCGAN(image_shape=(16, 16, 1), latent_dim=4, filters=8)
    >>> gan.compile()
    >>> fid = SampleMetric(images, extractor, num_images=32)
    >>> history = gan.fit(images, epochs=1, verbose=0, callbacks=[fid])
    >>> history.history["val_fid"][0] > 0
    True
    """

    def __init__(
        self,
        reference_images,
        extractor,
        metric="fid",
        num_images=1000,
        every_n_epochs=1,
        seed=0,
        name=None,
        **metric_kwargs,
    ):
        super().__init__()
        if metric not in METRICS:
            raise ValueError(
                f"Unknown metric {metric!r}. Expected one of: "
                f"{', '.join(METRICS)}."
            )
        if num_images < 2 or every_n_epochs < 1:
            raise ValueError(
                "`num_images` must be >= 2 and `every_n_epochs` >= 1. "
                f"Received num_images={num_images}, "
                f"every_n_epochs={every_n_epochs}."
            )
        self.reference_images = reference_images
        self.extractor = extractor
        self.metric = metric
        self.num_images = limit_samples(int(num_images))
        self.every_n_epochs = int(every_n_epochs)
        self.seed = seed
        self.name = name or f"val_{metric}"
        self.metric_kwargs = metric_kwargs
        self.reference = None
        self._latent = None

    def on_train_begin(self, logs=None):
        if self.reference is None:
            features = self.extractor.extract(self.reference_images)
            self.reference = Reference(features)
        if self._latent is None:
            self._latent = self.model.sample_latent(
                self.num_images, seed=self.seed
            )

    def on_epoch_end(self, epoch, logs=None):
        value = math.nan
        if (epoch + 1) % self.every_n_epochs == 0:
            value = self.measure()
        if logs is not None:
            logs[self.name] = value

    def measure(self):
        """The metric of the fixed samples of the model as it is now."""
        generated = self.extractor.extract(
            generate_balanced(self.model, self._latent)
        )
        result = compute_metrics(
            self.reference,
            generated,
            metrics=(self.metric,),
            **self.metric_kwargs,
        )
        value = result[self.metric]
        return math.nan if value is None else float(value)


def generate_balanced(model, z):
    """`model.generate(z=z)`; a conditional model gets classes in turn.

    Args:
        model: a zoo model. One with a `num_classes` attribute is given
            the labels `0, 1, ..., num_classes - 1, 0, 1, ...`.
        z: float32 array `(N, latent_dim)`.

    Returns:
        Images `(N, H, W, C)` in [0, 1].
    """
    num_classes = getattr(model, "num_classes", None)
    if not num_classes:
        return model.generate(z=z)
    labels = np.arange(len(z)) % num_classes
    return model.generate(z=z, labels=labels)
