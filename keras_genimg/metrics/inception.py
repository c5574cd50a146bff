"""The literature's default feature model: InceptionV3 at 299x299."""

import os

import keras

from keras_genimg.metrics.extractor import FeatureExtractor

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    f"inception_v3/{WEIGHTS_FILE}"
)
WEIGHTS_MD5 = "9a0d58056eeedaa3f26cb7ebd46da564"
IMAGE_SIZE = 299


class InceptionWeightsError(ValueError):
    """The InceptionV3 weights could not be downloaded or read."""


def inception_extractor(weights="imagenet", cache_dir=None):
    """InceptionV3 pool features (2048) and ImageNet class probabilities.

    The Keras Applications InceptionV3 with its ImageNet weights, as FID,
    KID, IS and precision/recall are usually computed: images are resized
    to 299x299 (see `FeatureExtractor` for the quantisation and resize
    steps, which move FID by whole points), grayscale is tiled to 3
    channels, the features are the 2048 outputs of the global average
    pool and the probabilities those of the 1000-way softmax. These
    weights are not the TF-slim graph used by the original FID code, so
    scores are comparable with each other but not with published ones.

    Args:
        weights: `"imagenet"` (downloaded once into Keras' cache, about
            92 MB), the path of a weights file (the `.h5` above; a
            `..._notop.h5` file gives features without probabilities), or
            None for random weights (only to test the plumbing).
        cache_dir: str or None. Where downloaded weights are kept.
            Defaults to Keras' cache (`~/.keras`).

    Returns:
        A `FeatureExtractor`.

    Raises:
        InceptionWeightsError: the weights cannot be downloaded or read;
            the message says how to pass a local copy.

    Example:
    >>> # extractor = inception_extractor()            # downloads once
    >>> # extractor = inception_extractor("weights.h5")  # local copy
    """
    if weights == "imagenet":
        weights = _download(cache_dir)
    elif weights is not None:
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise InceptionWeightsError(
                f"No InceptionV3 weights file at {weights!r}."
            )
    include_top = weights is None or "notop" not in os.path.basename(weights)
    try:
        model = keras.applications.InceptionV3(
            include_top=include_top,
            weights=weights,
            pooling=None if include_top else "avg",
        )
    except (ValueError, OSError) as err:
        raise InceptionWeightsError(
            f"Could not load InceptionV3 weights from {weights!r} ({err}). "
            f"Expected the Keras Applications file {WEIGHTS_FILE} (or its "
            "_notop variant)."
        ) from None
    options = dict(name="inception_v3", input_range="signed")
    if include_top:
        return FeatureExtractor.from_classifier(
            model, feature_layer="avg_pool", **options
        )
    return FeatureExtractor(model, **options)


def _download(cache_dir):
    try:
        return keras.utils.get_file(
            WEIGHTS_FILE,
            WEIGHTS_URL,
            cache_subdir="models",
            file_hash=WEIGHTS_MD5,
            cache_dir=cache_dir,
        )
    except Exception as err:  # get_file raises a bare Exception.
        reason = " ".join(str(err).split())
        raise InceptionWeightsError(
            f"Could not download the InceptionV3 weights: {reason}. Where "
            f"the weights cannot be downloaded, fetch {WEIGHTS_FILE} from "
            "that address elsewhere and pass its path "
            "(--inception-weights PATH, or "
            "`inception_extractor(weights=PATH)`), or use a judge "
            "classifier's features instead (--features judge.keras)."
        ) from None
