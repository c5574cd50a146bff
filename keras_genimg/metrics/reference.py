"""Features of the real images, cached so repeated evaluations are fast."""

import contextlib
import hashlib
import json
import os

import numpy as np

from keras_genimg.metrics.extractor import FeatureSet
from keras_genimg.metrics.precision_recall import DEFAULT_NEIGHBOURS, knn_radii
from keras_genimg.metrics.statistics import feature_statistics
from keras_genimg.utils import atomic_path

CACHE_FORMAT = 1
CACHE_ENV = "KERAS_GENIMG_CACHE"
# Cache entries hold the k-NN radii computed so far as `radii_k<k>`.
RADII_PREFIX = "radii_k"


class Reference:
    """Features of real images, with their labels and Gaussian statistics.

    The k-NN radii that precision needs (`knn_radii`) are computed once
    per k and kept with it, in its cache entry too when it has one.

    Args:
        features: `FeatureSet` of the real images.
        labels: int array `(N,)` or None.
        mean: float64 array `(D,)` or None (computed from the features).
        covariance: float64 array `(D, D)` or None (computed).
        key: dict or None. What the features were computed from.
        from_cache: bool. Whether they were read from the cache.
        radii: dict or None. `{k: knn_radii(features, k)}` already
            computed.
        path: str or None. The cache entry that holds this reference,
            rewritten with the radii computed later.

    Example:
    >>> x = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
    >>> reference = Reference(FeatureSet(x, None))
    >>> reference.mean.shape, reference.covariance.shape
    ((3,), (3, 3))
    >>> reference.knn_radii(k=3).shape
    (10,)
    """

    def __init__(
        self,
        features,
        labels=None,
        mean=None,
        covariance=None,
        key=None,
        from_cache=False,
        radii=None,
        path=None,
    ):
        self.features = features
        self.labels = labels
        if mean is None or covariance is None:
            mean, covariance = feature_statistics(features.features)
        self.mean = mean
        self.covariance = covariance
        self.key = key or {}
        self.from_cache = from_cache
        self.radii = dict(radii or {})
        self.path = path

    def __len__(self):
        return len(self.features.features)

    def knn_radii(self, k=DEFAULT_NEIGHBOURS):
        """`knn_radii(features, k)`, computed once per k.

        An N x N computation (about 1.3 s for 10,000 images on two
        cores): every evaluation against the same reference, and every
        epoch of a `SampleMetric("precision")`, would repeat it.

        Args:
            k: int. Which neighbour. Defaults to 3.

        Returns:
            A float64 array `(N,)`.
        """
        k = int(k)
        if k not in self.radii:
            self.radii[k] = knn_radii(self.features.features, k)
            if self.path is not None:
                # A cache that cannot take them (read-only) still serves.
                with contextlib.suppress(OSError):
                    _write(self.path, self)
        return self.radii[k]


def default_cache_dir():
    """`$KERAS_GENIMG_CACHE`, else `~/.cache/keras_genimg/reference`."""
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.path.expanduser("~"), ".cache", "keras_genimg", "reference"
    )


def reference_key(images, labels, extractor, description=None):
    """Everything the reference features depend on, as a JSON-able dict.

    The key holds a description of the data (source, split, range), a
    SHA-256 of the images and labels themselves, their size, and the
    extractor's config and weight fingerprint, so a change to any of them
    gives a different key.

    Args:
        images: float32 array `(N, H, W, C)` in [0, 1].
        labels: int array `(N,)` or None.
        extractor: `FeatureExtractor`.
        description: dict or None. e.g. `{"source": ..., "split": ...}`.

    Returns:
        A dict.

    Example:
    >>> # key = reference_key(x, y, extractor, {"source": "mnist"})
    """
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    if labels is not None:
        digest.update(np.ascontiguousarray(labels, "int64").tobytes())
    return {
        "format": CACHE_FORMAT,
        "data": description or {},
        "num_images": int(len(images)),
        "image_shape": [int(s) for s in np.shape(images)[1:]],
        "data_sha256": digest.hexdigest(),
        "labels": labels is not None,
        "extractor": extractor.config(),
        "extractor_fingerprint": extractor.fingerprint,
    }


def compute_reference(
    images,
    extractor,
    labels=None,
    description=None,
    cache_dir=None,
    use_cache=True,
    progress=None,
):
    """Features of real images, read from the cache when they are there.

    Cache files are named after a hash of `reference_key(...)`, and the
    whole key is stored inside and compared on reading, so features are
    never reused for other data, another split or range, another image
    size or another feature model.

    Args:
        images: float32 array `(N, H, W, C)` in [0, 1].
        extractor: `FeatureExtractor`.
        labels: int array `(N,)` or None.
        description: dict or None. Describes the data in the key.
        cache_dir: str or None. Defaults to `default_cache_dir()`.
        use_cache: bool. Read and write the cache. Defaults to True.
        progress: callable or None. See `FeatureExtractor.extract`.

    Returns:
        A `Reference`.

    Example:
    >>> # reference = compute_reference(x, extractor, labels=y)
    """
    key = reference_key(images, labels, extractor, description)
    path = None
    if use_cache:
        name = hashlib.sha256(
            json.dumps(key, sort_keys=True).encode()
        ).hexdigest()[:20]
        path = os.path.join(
            cache_dir or default_cache_dir(), f"{extractor.name}-{name}.npz"
        )
        cached = _read(path, key)
        if cached is not None:
            return cached
    features = extractor.extract(images, progress=progress)
    reference = Reference(features, labels, key=key, path=path)
    if path is not None:
        _write(path, reference)
    return reference


def _read(path, key):
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path) as data:
            if json.loads(str(data["key"])) != key:
                return None
            probabilities = (
                data["probabilities"] if "probabilities" in data else None
            )
            labels = data["labels"] if "labels" in data else None
            radii = {
                int(name[len(RADII_PREFIX) :]): data[name]
                for name in data.files
                if name.startswith(RADII_PREFIX)
            }
            return Reference(
                FeatureSet(data["features"], probabilities),
                labels,
                data["mean"],
                data["covariance"],
                key=key,
                from_cache=True,
                radii=radii,
                path=path,
            )
    except (OSError, ValueError, KeyError):
        return None  # An unreadable entry is recomputed and replaced.


def _write(path, reference):
    arrays = {
        "key": np.array(json.dumps(reference.key, sort_keys=True)),
        "features": reference.features.features,
        "mean": reference.mean,
        "covariance": reference.covariance,
    }
    if reference.features.probabilities is not None:
        arrays["probabilities"] = reference.features.probabilities
    if reference.labels is not None:
        arrays["labels"] = np.asarray(reference.labels)
    for k, radii in reference.radii.items():
        arrays[f"{RADII_PREFIX}{k}"] = radii
    with atomic_path(path, suffix=".npz") as tmp_path:
        np.savez(tmp_path, **arrays)
