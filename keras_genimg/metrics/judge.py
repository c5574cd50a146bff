"""A small classifier whose features judge images of one data set.

Inception features were learned on ImageNet photographs and describe
28x28 digits poorly; the maintainers of pytorch-fid and TTUR advise
against FID on such data. A classifier trained on the data set itself
gives features that do describe it: FID computed on them is the
"Fréchet classifier distance" (FCD), and its softmax gives an Inception
Score and the classes of generated samples.
"""

import os

import keras
import numpy as np

from keras_genimg.metrics.extractor import FeatureExtractor
from keras_genimg.models.saving import open_keras_file
from keras_genimg.models.trial_limits import limit_fit

FEATURE_LAYER = "features"
FEATURE_SIZE = 128


def build_judge(image_shape, num_classes, filters=32):
    """A small convolutional classifier with a named feature layer.

    Two blocks of convolution and pooling, then a `Dense` layer named
    `"features"` (the penultimate features the metrics use) and a softmax.
    Images are float32 in [0, 1].

    Args:
        image_shape: tuple `(height, width, channels)`.
        num_classes: int. Number of classes, >= 2.
        filters: int. Width of the first convolution. Defaults to 32.

    Returns:
        A `keras.Model`, not compiled.

    Example:
    >>> judge = build_judge((16, 16, 1), num_classes=10, filters=8)
    >>> judge.output.shape
    (None, 10)
    """
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be >= 2, got {num_classes}.")
    inputs = keras.Input(tuple(image_shape), name="images")
    x = inputs
    for scale in (1, 2):
        x = keras.layers.Conv2D(
            filters * scale, 3, padding="same", activation="relu"
        )(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3)(x)
    x = keras.layers.Dense(FEATURE_SIZE, activation="relu", name=FEATURE_LAYER)(
        x
    )
    outputs = keras.layers.Dense(
        num_classes, activation="softmax", name="probabilities"
    )(x)
    return keras.Model(inputs, outputs, name="judge")


def train_judge(
    images,
    labels,
    epochs=5,
    batch_size=128,
    holdout=0.2,
    filters=32,
    seed=0,
    verbose=0,
):
    """Trains a judge on labelled images; reports held-out accuracy.

    The last `holdout` share of the images (in the given order) is kept
    out of training and used to measure the accuracy.

    Args:
        images: float32 array `(N, H, W, C)` in [0, 1].
        labels: int array `(N,)` in [0, num_classes).
        epochs: int. Training epochs. Defaults to 5.
        batch_size: int. Defaults to 128.
        holdout: float in [0, 1). Share held out. Defaults to 0.2.
        filters: int. See `build_judge`. Defaults to 32.
        seed: int. Seed of the weights and the shuffling. Defaults to 0.
        verbose: int. Keras `fit` verbosity. Defaults to 0.

    Returns:
        `(judge, accuracy)`: the trained `keras.Model` and its accuracy on
        the held-out images (None when `holdout` is 0).

    Example:
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 64)
    >>> images = np.zeros((64, 16, 16, 1), "float32")
    >>> images[labels == 1, :8] = 1.0
    >>> judge, accuracy = train_judge(
    ...     images, labels, epochs=10, batch_size=16, filters=4
    ... )
    >>> accuracy > 0.9
    True
    """
    images = np.asarray(images, "float32")
    labels = np.asarray(labels).astype("int32")
    if len(images) != len(labels) or len(images) < 2:
        raise ValueError(
            f"Need one label per image and at least 2 images; received "
            f"{len(images)} images and {len(labels)} labels."
        )
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"`holdout` must be in [0, 1), got {holdout}.")
    split = len(images) - int(round(len(images) * holdout))
    if split < 1:
        raise ValueError(
            f"`holdout` {holdout:g} of {len(images)} images leaves no image "
            "to train on."
        )
    num_classes = max(int(labels.max()) + 1, 2)
    keras.utils.set_random_seed(seed)
    judge = build_judge(images.shape[1:], num_classes, filters=filters)
    judge.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    epochs, steps_per_epoch = limit_fit(epochs, None)
    judge.fit(
        images[:split],
        labels[:split],
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        verbose=verbose,
    )
    accuracy = None
    if split < len(images):
        predicted = judge.predict(images[split:], verbose=0).argmax(axis=1)
        accuracy = float(np.mean(predicted == labels[split:]))
    return judge, accuracy


def judge_extractor(judge, **kwargs):
    """A `FeatureExtractor` of a judge's penultimate features.

    Args:
        judge: `keras.Model` or str path of a `.keras` file (from
            `genimg judge train` or any classifier ending in a softmax).
        **kwargs: passed to `FeatureExtractor.from_classifier`.

    Returns:
        A `FeatureExtractor` with class probabilities.

    Example:
    >>> extractor = judge_extractor(build_judge((16, 16, 1), 10, filters=4))
    >>> extractor.extract(np.zeros((2, 16, 16, 1), "float32")).features.shape
    (2, 128)
    """
    if not isinstance(judge, keras.Model):
        judge = load_judge(judge)
    return FeatureExtractor.from_classifier(judge, **kwargs)


def provenance_path(judge_path):
    """The JSON beside a judge's `.keras` file that says what data it
    learned (written by `genimg judge train`, read by `evaluate`).

    Example:
    >>> provenance_path("judge.keras")
    'judge.keras.json'
    """
    return os.fspath(judge_path) + ".json"


def load_judge(path):
    """Loads a judge (any Keras classifier) from a `.keras` file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No judge model at {path!r}; train one with "
            "'genimg judge train --data SOURCE --out judge.keras'."
        )
    return open_keras_file(path, compile=False)
