"""Turning images into the feature vectors the metrics compare."""

import collections
import hashlib
import json

import keras
import numpy as np
from keras import ops

DEFAULT_BATCH_SIZE = 100
INPUT_RANGES = ("unit", "signed")

FeatureSet = collections.namedtuple("FeatureSet", ["features", "probabilities"])
FeatureSet.__doc__ = """Features of a set of images.

`features` is a float32 array `(N, D)`; `probabilities` a float32 array
`(N, num_classes)` of class probabilities, or None for a feature model
without a classifier head (the Inception Score then cannot be computed).
"""


class FeatureExtractor:
    """Maps images in [0, 1] to features (and class probabilities).

    Wraps any Keras model whose input is a batch of images and whose
    output is a feature tensor, or a list `[features, probabilities]`.
    Every image goes through the same steps, so real and generated images
    are treated alike:

    1. quantised to 8 bits (`round(255 x) / 255`), as if saved as a PNG;
       real images read from PNG or IDX files already are, and clean-fid
       (Parmar et al., 2022) found that skipping this step for generated
       images alone moves FID by whole points;
    2. gray images tiled to 3 channels (or colour ones averaged to 1) to
       match the model's input;
    3. resized in float, before any further quantisation, to the model's
       input size with antialiased bicubic interpolation, close to the
       PIL bicubic resize clean-fid recommends (libraries' resizers
       differ, and that too moves FID);
    4. scaled to the model's input range, `"unit"` ([0, 1]) or
       `"signed"` ([-1, 1], what `keras.applications` InceptionV3
       expects).

    Args:
        model: `keras.Model`. Image batch to features, or to
            `[features, probabilities]`.
        name: str. A short name for reports, e.g. `"inception_v3"`.
        input_range: str. `"unit"` or `"signed"`. Defaults to `"unit"`.
        quantize: bool. Quantise to 8 bits first. Defaults to True.
        interpolation: str. Resize method of `keras.ops.image.resize`.
            Defaults to `"bicubic"`.
        batch_size: int. Images per model call. Defaults to 100.

    Example:
    >>> inputs = keras.Input((8, 8, 1))
    >>> features = keras.layers.GlobalAveragePooling2D()(inputs)
    >>> extractor = FeatureExtractor(keras.Model(inputs, features), "mean")
    >>> result = extractor.extract(np.full((3, 16, 16, 1), 0.5, "float32"))
    >>> result.features.shape, result.probabilities
    ((3, 1), None)
    """

    def __init__(
        self,
        model,
        name,
        input_range="unit",
        quantize=True,
        interpolation="bicubic",
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        if input_range not in INPUT_RANGES:
            raise ValueError(
                f"Unknown `input_range` {input_range!r}. Expected one of: "
                f"{', '.join(INPUT_RANGES)}."
            )
        self.model = model
        self.name = name
        self.input_range = input_range
        self.quantize = bool(quantize)
        self.interpolation = interpolation
        self.batch_size = int(batch_size)
        shape = tuple(model.inputs[0].shape[1:])
        if len(shape) != 3 or shape[-1] not in (1, 3):
            raise ValueError(
                "The feature model must take images (batch, H, W, C) with C "
                f"1 or 3. Its input has shape {model.inputs[0].shape}."
            )
        self.input_shape = shape
        self.has_probabilities = len(model.outputs) == 2
        self.feature_layer = None
        self._fingerprint = None

    @classmethod
    def from_classifier(cls, classifier, feature_layer=None, name=None, **kw):
        """An extractor of a classifier's features and probabilities.

        Args:
            classifier: `keras.Model` ending in a softmax layer.
            feature_layer: str or None. Layer whose output are the
                features. Defaults to the input of the last layer (the
                penultimate features).
            name: str or None. Defaults to the classifier's name.
            **kw: passed to `FeatureExtractor`.

        Returns:
            A `FeatureExtractor` with class probabilities.

        Raises:
            ValueError: `classifier` is not a functional model from one
                batch of images to one batch of class scores (e.g. a
                zoo model, whose file was given as a judge).
        """
        inputs = getattr(classifier, "inputs", None) or []
        outputs = getattr(classifier, "outputs", None) or []
        if not (
            len(inputs) == 1
            and len(inputs[0].shape) == 4
            and outputs
            and len(outputs[0].shape) == 2
        ):
            raise ValueError(
                f"{type(classifier).__name__} {classifier.name!r} is not a "
                "classifier: a judge is a functional Keras model from images "
                "(batch, H, W, C) to class probabilities (batch, classes), "
                "such as 'genimg judge train' writes."
            )
        if feature_layer is None:
            features = classifier.layers[-1].input
        else:
            features = classifier.get_layer(feature_layer).output
        model = keras.Model(
            classifier.inputs, [features, classifier.outputs[0]]
        )
        extractor = cls(model, name or classifier.name, **kw)
        # The weights are the classifier's whatever layer is read: the
        # layer must count in what defines the features (and their cache).
        extractor.feature_layer = feature_layer
        return extractor

    # === Extraction ===

    def preprocess(self, images):
        """Applies steps 1-4 above to a batch; returns a tensor."""
        images = ops.convert_to_tensor(np.asarray(images, "float32"))
        if self.quantize:
            images = ops.round(ops.clip(images, 0.0, 1.0) * 255.0) / 255.0
        height, width, channels = self.input_shape
        if images.shape[-1] == 1 and channels == 3:
            images = ops.tile(images, (1, 1, 1, 3))
        elif images.shape[-1] == 3 and channels == 1:
            images = ops.mean(images, axis=-1, keepdims=True)
        size = (height or images.shape[1], width or images.shape[2])
        if tuple(images.shape[1:3]) != size:
            images = ops.image.resize(
                images, size, interpolation=self.interpolation, antialias=True
            )
        if self.input_range == "signed":
            images = images * 2.0 - 1.0
        return images

    def extract(self, images, progress=None):
        """Features of a batch of images, computed in chunks.

        Args:
            images: float array `(N, H, W, C)` in [0, 1], C 1 or 3.
            progress: callable or None. Called with the number of images
                done after each chunk (e.g. `Progbar.add`).

        Returns:
            A `FeatureSet`.
        """
        images = _check_images(images)
        features, probabilities = [], []
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size]
            outputs = self.model(self.preprocess(batch), training=False)
            if self.has_probabilities:
                features.append(ops.convert_to_numpy(outputs[0]))
                probabilities.append(ops.convert_to_numpy(outputs[1]))
            else:
                if isinstance(outputs, (list, tuple)):
                    outputs = outputs[0]
                features.append(ops.convert_to_numpy(outputs))
            if progress is not None:
                progress(len(batch))
        features = np.concatenate(features).astype("float32")
        features = features.reshape(len(features), -1)
        if not self.has_probabilities:
            return FeatureSet(features, None)
        return FeatureSet(
            features, np.concatenate(probabilities).astype("float32")
        )

    __call__ = extract

    # === Identity ===

    def config(self):
        """What defines the features: name, input, preprocessing and (when
        not the default) the layer read."""
        config = {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "input_range": self.input_range,
            "quantize": self.quantize,
            "interpolation": self.interpolation,
        }
        if self.feature_layer is not None:
            config["feature_layer"] = self.feature_layer
        return config

    @property
    def fingerprint(self):
        """A hash of the config and every weight: same hash, same features."""
        if self._fingerprint is None:
            digest = hashlib.sha256(
                json.dumps(self.config(), sort_keys=True).encode()
            )
            for weight in self.model.weights:
                value = np.ascontiguousarray(ops.convert_to_numpy(weight))
                digest.update(str(value.shape).encode())
                digest.update(value.tobytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint


def _check_images(images):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or not len(images):
        raise ValueError(
            "Images must be a non-empty batch (N, H, W, C) with C 1 or 3. "
            f"Received shape {images.shape}."
        )
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            f"Images must be floating point in [0, 1] (divide uint8 images "
            f"by 255). Received dtype {images.dtype}."
        )
    return images.astype("float32", copy=False)
