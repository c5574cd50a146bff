"""All the metrics of generated images against a reference, at once:
`compute_metrics` on features, `evaluate` from a model and a data source
to the report `genimg eval` prints and keeps."""

import contextlib
import json
import os
import time

import keras
import numpy as np

from keras_genimg.metrics.coverage import class_coverage
from keras_genimg.metrics.extractor import FeatureSet
from keras_genimg.metrics.frechet import frechet_distance
from keras_genimg.metrics.inception import inception_extractor
from keras_genimg.metrics.inception_score import (
    DEFAULT_NUM_SPLITS,
    inception_score,
)
from keras_genimg.metrics.judge import judge_extractor, provenance_path
from keras_genimg.metrics.kid import (
    DEFAULT_NUM_SUBSETS,
    DEFAULT_SUBSET_SIZE,
    kernel_inception_distance,
)
from keras_genimg.metrics.precision_recall import (
    DEFAULT_NEIGHBOURS,
    manifold_membership,
)
from keras_genimg.metrics.reference import compute_reference
from keras_genimg.metrics.statistics import feature_statistics
from keras_genimg.models.trial_limits import limit_samples

METRICS = ("fid", "kid", "is", "precision", "recall")
# Generated images drawn (and their features taken) at a time.
GENERATE_CHUNK = 500


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
                manifold_membership(
                    real.features,
                    fake.features,
                    neighbours,
                    radii=reference.knn_radii(neighbours),
                )
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


def evaluate(
    model,
    data,
    split="train",
    data_range=None,
    features="inception",
    inception_weights=None,
    num_images=10_000,
    seed=0,
    kid_subsets=DEFAULT_NUM_SUBSETS,
    kid_subset_size=DEFAULT_SUBSET_SIZE,
    neighbours=DEFAULT_NEIGHBOURS,
    cache_dir=None,
    use_cache=True,
    real_images=None,
    real_range=None,
    verbose=1,
):
    """Every metric of a model's images against real ones, as a report.

    Draws `num_images` images (seeds `seed`, `seed + 1`, ...; a conditional
    model's classes in turn), takes their features and those of the real
    images of `data` (cached per source, split, range, image size and
    feature model), and compares them with `compute_metrics`.

    Args:
        model: what draws the images: the path of a run folder, `.keras`
            file or SavedModel version folder (opened with
            `keras_genimg.export.open_generator`, which gives the same
            images for a seed from all three), an object with
            `sample(seeds)` and `image_shape` such as it returns, or None
            with `real_images`.
        data: the real images, any `keras_genimg.data.load_images` source,
            converted to the generator's image shape.
        split: str. Their split. Defaults to `"train"`.
        data_range: `(start, stop, step)` of the real images to use, or
            None (all).
        features: `"inception"` (InceptionV3, the literature's FID) or the
            path of a judge `.keras` file (`genimg judge train`).
        inception_weights: str or None. A local InceptionV3 weights file.
        num_images: int. Images to draw (capped by `GENIMG_MAX_SAMPLES`).
        seed: int. First seed.
        kid_subsets, kid_subset_size, neighbours: see `compute_metrics`.
        cache_dir: str or None. Reference cache (default
            `metrics.reference.default_cache_dir()`).
        use_cache: bool. Read and write the reference cache.
        real_images: instead of a generator, score these real images (a
            source, e.g. held-out ones): what a perfect model would get.
        real_range: `(start, stop, step)` of `real_images`, or None.
        verbose: int. 0 silent, 1 progress bars, 2 one line per stage.

    Returns:
        A dict, as `eval.json` holds it: `metrics`, `frechet_name` (FID or
        FCD), `coverage`, `settings`, `data`, `real_images`, `features`,
        `image_shape`, `num_generated`, `seed`, `reference_from_cache` and
        `seconds`.

    Raises:
        ValueError: for bad features, or both or neither of `model` and
            `real_images`.
        FileNotFoundError: when a path holds no model or judge.

    Example:
    >>> report = evaluate("runs/dcgan", "mnist", features="judge.keras",
    ...                   num_images=5000)  # doctest: +SKIP
    >>> print(format_report(report))  # doctest: +SKIP
    """
    if (model is None) == (real_images is None):
        raise ValueError("Give either a model or `real_images`.")
    started = time.time()
    extractor, features_info = open_features(features, inception_weights)
    # `export` and `data` need TensorFlow: the metrics import without it.
    from keras_genimg.data import load_slice

    opened = contextlib.nullcontext(model)
    if isinstance(model, (str, os.PathLike)):
        from keras_genimg.export import open_generator

        opened = open_generator(model)
    with opened as generator:
        say = _printer(verbose)
        image_shape = None if generator is None else generator.image_shape
        x, y = load_slice(data, split, data_range, image_shape)
        data_info = describe_source(data, split, data_range)
        num_reference = len(x)
        say(f"Reference: {num_reference} images of {data!r} ({split})")
        reference = compute_reference(
            x,
            extractor,
            labels=y,
            description=data_info,
            cache_dir=cache_dir,
            use_cache=use_cache,
            progress=_progress(len(x), "reference features", verbose),
        )
        if reference.from_cache:
            say("Reference features read from the cache.")
        if generator is None:
            x, _ = load_slice(
                real_images, split, real_range, None, labels=False
            )
            say(f"Scoring {len(x)} real images of {real_images!r}")
            image_shape = x.shape[1:]
            progress = _progress(len(x), "real image features", verbose)
            generated = extractor.extract(x, progress=progress)
        else:
            num_images = limit_samples(num_images)
            say(f"Generating {num_images} images")
            generated = _generated_features(
                generator, extractor, num_images, seed, verbose
            )
        result = compute_metrics(
            reference,
            generated,
            kid_subsets=kid_subsets,
            kid_subset_size=kid_subset_size,
            neighbours=neighbours,
            seed=seed,
        )
        return {
            "metrics": result,
            "frechet_name": "FID"
            if extractor.name == "inception_v3"
            else "FCD",
            "coverage": result.pop("coverage", None),
            "settings": {
                "kid_subsets": kid_subsets,
                "kid_subset_size": kid_subset_size,
                "neighbours": neighbours,
                "num_reference": len(reference),
            },
            "real_images": None
            if real_images is None
            else describe_source(real_images, split, real_range),
            "data": {
                **data_info,
                "num_images": num_reference,
                "labels": y is not None,
            },
            "features": features_info,
            "image_shape": [int(d) for d in image_shape],
            "num_generated": len(generated.features),
            "seed": None if generator is None else seed,
            "reference_from_cache": reference.from_cache,
            "seconds": round(time.time() - started, 1),
        }


def check_features(features, inception_weights=None):
    """Raises ValueError unless `open_features` takes these arguments.

    Cheap: it opens nothing, so a command can check before its work.

    Args:
        features: `"inception"` or the path of a judge `.keras` file.
        inception_weights: str or None. Local InceptionV3 weights.

    Example:
    >>> check_features("judge.keras")
    >>> check_features("judge.keras", inception_weights="inception.h5")
    Traceback (most recent call last):
    ...
    ValueError: Inception weights go with the 'inception' features.
    """
    if features == "inception":
        return
    if inception_weights:
        raise ValueError("Inception weights go with the 'inception' features.")
    if not str(features).endswith(".keras"):
        raise ValueError(
            f"features must be 'inception' or a judge .keras file, got "
            f"{features!r}."
        )


def open_features(features, inception_weights=None):
    """The feature extractor `evaluate` uses, and how it is recorded.

    Args:
        features: `"inception"` or the path of a judge `.keras` file.
        inception_weights: str or None. Local InceptionV3 weights (only
            with `"inception"`).

    Returns:
        `(extractor, info)`: a `FeatureExtractor` and a dict of what
        defines its features (with, for a judge, the data it learned).

    Example:
    >>> open_features("judge.keras")  # doctest: +SKIP
    """
    check_features(features, inception_weights)
    if features == "inception":
        extractor = inception_extractor(inception_weights or "imagenet")
        info = {"kind": "inception", "weights": inception_weights}
    else:
        extractor = judge_extractor(features)
        info = {"kind": "judge", "path": os.path.abspath(features)}
        if os.path.isfile(provenance_path(features)):
            with open(provenance_path(features)) as f:
                info["trained_on"] = json.load(f)
    info.update(extractor.config(), fingerprint=extractor.fingerprint)
    return extractor, info


def source_name(source):
    """A data source as recorded: the absolute path of a file or folder,
    else the name (e.g. "mnist").

    Example:
    >>> source_name("mnist")
    'mnist'
    """
    return os.path.abspath(source) if os.path.exists(source) else source


def describe_source(source, split, data_range):
    """A data source, split and range as `evaluate` records them."""
    return {
        "source": source_name(source),
        "split": split,
        "range": list(data_range) if data_range else None,
    }


def _generated_features(generator, extractor, num_images, seed, verbose):
    progress = _progress(num_images, "generated features", verbose)
    seeds = np.arange(seed, seed + num_images, dtype="int64")
    num_classes = getattr(generator, "num_classes", None)
    parts = []
    for start in range(0, len(seeds), GENERATE_CHUNK):
        chunk = seeds[start : start + GENERATE_CHUNK]
        if num_classes is None:
            images = generator.sample(chunk)
        else:
            # Sample i is of class i % num_classes, across the chunks.
            labels = np.arange(start, start + len(chunk)) % num_classes
            images = generator.sample(chunk, labels)
        parts.append(extractor.extract(images))
        progress(len(images))
    probabilities = None
    if parts[0].probabilities is not None:
        probabilities = np.concatenate([p.probabilities for p in parts])
    return FeatureSet(
        np.concatenate([p.features for p in parts]), probabilities
    )


def _printer(verbose):
    return print if verbose else lambda *args, **kwargs: None


def _progress(total, name, verbose):
    """A progress callback; the bar appears at its first update."""
    bar = None

    def add(count):
        nonlocal bar
        if not verbose:
            return
        if bar is None:
            print(f"  {name}:")
            bar = keras.utils.Progbar(total, verbose=verbose, unit_name="image")
        bar.add(count)

    return add
