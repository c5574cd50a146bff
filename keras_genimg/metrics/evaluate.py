"""All the metrics of generated images against a reference, at once."""

import numpy as np

from keras_genimg.metrics.coverage import class_coverage
from keras_genimg.metrics.frechet import frechet_distance
from keras_genimg.metrics.inception_score import (
    DEFAULT_NUM_SPLITS,
    inception_score,
)
from keras_genimg.metrics.kid import (
    DEFAULT_NUM_SUBSETS,
    DEFAULT_SUBSET_SIZE,
    kernel_inception_distance,
)
from keras_genimg.metrics.precision_recall import (
    DEFAULT_NEIGHBOURS,
    manifold_membership,
)
from keras_genimg.metrics.statistics import feature_statistics

METRICS = ("fid", "kid", "is", "precision", "recall")


def compute_metrics(
    reference,
    generated,
    metrics=METRICS,
    kid_subsets=DEFAULT_NUM_SUBSETS,
    kid_subset_size=DEFAULT_SUBSET_SIZE,
    neighbours=DEFAULT_NEIGHBOURS,
    seed=0,
    coverage=None,
):
    """Compares the features of generated images with a reference.

    Args:
        reference: `Reference`. Features of the real images.
        generated: `FeatureSet`. Features of the generated images.
        metrics: sequence of names among `"fid"` (Fréchet distance; the
            FCD with a judge's features), `"kid"`, `"is"`,
            `"precision"` and `"recall"`. Defaults to all.
        kid_subsets: int. KID subsets. Defaults to 100.
        kid_subset_size: int. KID subset size. Defaults to 1000.
        neighbours: int. k of the precision/recall manifolds. Defaults
            to 3.
        seed: int. Seed of the KID subsets. Defaults to 0.
        coverage: bool or None. Report the class coverage; it needs
            reference labels and class probabilities of the data's own
            classes (a judge's, not ImageNet's). Defaults to None: when
            the reference has labels and the classifier has exactly
            `max(label) + 1` classes.

    Returns:
        A dict with the requested entries: `fid`; `kid` and `kid_std`;
        `is` and `is_std` (None without class probabilities);
        `precision`; `recall`; and, with `coverage`, `coverage` (see
        `class_coverage`).

    Example:
    >>> from keras_genimg.metrics import FeatureSet, Reference
    >>> x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    >>> result = compute_metrics(
    ...     Reference(FeatureSet(x, None)), FeatureSet(x, None),
    ...     metrics=("fid", "precision"),
    ... )
    >>> result["fid"] < 1e-6, result["precision"]
    (True, 1.0)
    """
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(
            f"Unknown metric {unknown[0]!r}. Expected one of: "
            f"{', '.join(METRICS)}."
        )
    real, fake = reference.features, generated
    if real.features.shape[1] != fake.features.shape[1]:
        raise ValueError(
            f"The reference has {real.features.shape[1]} features per image "
            f"and the generated images {fake.features.shape[1]}: they were "
            "computed with different feature models."
        )
    result = {}
    if "fid" in metrics:
        mean, covariance = feature_statistics(fake.features)
        result["fid"] = frechet_distance(
            reference.mean, reference.covariance, mean, covariance
        )
    if "kid" in metrics:
        result["kid"], result["kid_std"] = kernel_inception_distance(
            real.features, fake.features, kid_subsets, kid_subset_size, seed
        )
    if "is" in metrics:
        result["is"], result["is_std"] = None, None
        if fake.probabilities is not None:
            splits = min(DEFAULT_NUM_SPLITS, len(fake.probabilities))
            result["is"], result["is_std"] = inception_score(
                fake.probabilities, splits
            )
    real_covered = None
    if "precision" in metrics:
        result["precision"] = float(
            np.mean(
                manifold_membership(real.features, fake.features, neighbours)
            )
        )
    if "recall" in metrics:
        real_covered = manifold_membership(
            fake.features, real.features, neighbours
        )
        result["recall"] = float(np.mean(real_covered))
    if coverage is None:
        coverage = (
            reference.labels is not None
            and fake.probabilities is not None
            and fake.probabilities.shape[1] == int(reference.labels.max()) + 1
        )
    if coverage:
        result["coverage"] = class_coverage(
            fake.probabilities, reference.labels, real_covered
        )
    return result
