"""`genimg eval`: FID/FCD, KID, IS and precision/recall of a model."""

import json
import os
import sys
import time

from keras_genimg.cli.arguments import output_beside, positive_int
from keras_genimg.cli.errors import CommandError
from keras_genimg.cli.judge import source_name, trained_on_path
from keras_genimg.cli.model_source import open_generator
from keras_genimg.utils.paths import check_output_file

EVAL_FILE = "eval.json"
GENERATE_CHUNK = 500


def add_parser(commands):
    parser = commands.add_parser(
        "eval",
        help="measure sample quality (FID/FCD, KID, IS, precision/recall)",
        description=(
            "Generate images from a trained model and compare their "
            "features with those of real images. Prints a table and writes "
            "eval.json. Features are InceptionV3's (--features inception, "
            "the literature's default) or a judge classifier's trained with "
            "'genimg judge train' (--features judge.keras), which suit "
            "small images such as digits far better. The real images' "
            "features are cached per data set, split, range, image size "
            "and feature model."
        ),
    )
    parser.add_argument(
        "model",
        nargs="?",
        metavar="MODEL",
        help="a run folder of 'genimg train' (holding model.keras), a "
        ".keras file or a SavedModel version folder",
    )
    parser.add_argument(
        "--data",
        required=True,
        metavar="SOURCE",
        help="the real images to compare with (any 'genimg train' source)",
    )
    parser.add_argument("--split", default="train", help="data split")
    parser.add_argument(
        "--data-range",
        type=_range,
        metavar="START:STOP[:STEP]",
        help="use only these images of the data, a Python slice (e.g. "
        "0:8000, or 0:10000:2 for the even ones)",
    )
    parser.add_argument(
        "--real-images",
        metavar="SOURCE",
        help="instead of MODEL, score real images (e.g. held-out ones): "
        "what a perfect model would get",
    )
    parser.add_argument(
        "--real-range",
        type=_range,
        metavar="START:STOP[:STEP]",
        help="use only these images of --real-images (e.g. 1:10000:2)",
    )
    parser.add_argument(
        "--num",
        type=positive_int,
        default=10000,
        help="generated images (default: 10000)",
    )
    parser.add_argument(
        "--features",
        default="inception",
        metavar="inception|JUDGE.keras",
        help="feature model (default: inception)",
    )
    parser.add_argument(
        "--inception-weights",
        metavar="PATH",
        help="local InceptionV3 weights file, where they cannot be downloaded",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="first seed of the samples"
    )
    parser.add_argument(
        "--kid-subsets", type=positive_int, default=100, help="default 100"
    )
    parser.add_argument(
        "--kid-subset-size",
        type=positive_int,
        default=1000,
        help="default 1000",
    )
    parser.add_argument(
        "--neighbours",
        type=positive_int,
        default=3,
        help="k of the precision/recall manifolds (default: 3)",
    )
    parser.add_argument(
        "--out",
        metavar="JSON",
        help="where to write the results (default: eval.json in the run "
        "folder or beside the .keras file, else in the current folder)",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="reference feature cache (default: $KERAS_GENIMG_CACHE or "
        "~/.cache/keras_genimg/reference)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache",
    )
    parser.set_defaults(run=run)
    return parser


def _range(text):
    """`START:STOP[:STEP]` to a `(start, stop, step)` tuple of ints."""
    import argparse

    parts = text.split(":")
    try:
        start, stop = int(parts[0] or 0), int(parts[1])
        step = int(parts[2]) if len(parts) == 3 else 1
    except (ValueError, IndexError):
        start = stop = step = 0
    if len(parts) > 3 or not 0 <= start < stop or step < 1:
        raise argparse.ArgumentTypeError(
            "must be START:STOP or START:STOP:STEP with 0 <= START < STOP "
            f"and STEP >= 1, got {text!r}"
        )
    return start, stop, step


def run(args):
    from keras_genimg.metrics import format_report

    if (args.model is None) == (args.real_images is None):
        raise CommandError("give either MODEL or --real-images SOURCE")
    if args.real_range and not args.real_images:
        raise CommandError("--real-range goes with --real-images")
    out = args.out or output_beside(args.model, EVAL_FILE)
    check_output_file(out)
    started = time.time()
    extractor, features_info = _open_extractor(args)
    if args.model is not None:
        generator = open_generator(args.model)
        image_shape = generator.image_shape
    else:
        generator, image_shape = None, None
    try:
        reference, data_info = _reference(args, extractor, image_shape)
        _warn_if_judge_learned_other_data(features_info, data_info)
        if generator is not None:
            generated = _generated_features(args, generator, extractor)
        else:
            generated, image_shape = _real_features(args, extractor, reference)
    finally:
        if generator is not None:
            generator.close()
    report = _evaluate(args, reference, generated, extractor)
    report.update(
        model=args.model or None,
        real_images=_describe_source(
            args.real_images, args.split, args.real_range
        )
        if args.real_images
        else None,
        data=data_info,
        features=features_info,
        image_shape=list(image_shape),
        num_generated=len(generated.features),
        seed=args.seed if generator is not None else None,
        reference_from_cache=reference.from_cache,
        seconds=round(time.time() - started, 1),
    )
    print(format_report(report))
    _say_what_is_replaced(out, report)
    _write_json(out, report)
    print(f"Wrote {out}")


# === Feature model ===


def _open_extractor(args):
    from keras_genimg.metrics import (
        InceptionWeightsError,
        inception_extractor,
        judge_extractor,
    )

    if args.features == "inception":
        try:
            extractor = inception_extractor(
                args.inception_weights or "imagenet"
            )
        except InceptionWeightsError as err:
            raise CommandError(str(err)) from None
        info = {"kind": "inception", "weights": args.inception_weights}
    else:
        if args.inception_weights:
            raise CommandError(
                "--inception-weights goes with --features inception"
            )
        if not args.features.endswith(".keras"):
            raise CommandError(
                f"--features must be 'inception' or a judge .keras file, "
                f"got {args.features!r}"
            )
        extractor = judge_extractor(args.features)
        info = {"kind": "judge", "path": os.path.abspath(args.features)}
        if os.path.isfile(trained_on_path(args.features)):
            with open(trained_on_path(args.features)) as f:
                info["trained_on"] = json.load(f)
    info.update(extractor.config(), fingerprint=extractor.fingerprint)
    return extractor, info


# === Images and their features ===


def _reference(args, extractor, image_shape):
    from keras_genimg.data import load_slice
    from keras_genimg.metrics import compute_reference

    x, y = load_slice(args.data, args.split, args.data_range, image_shape)
    info = _describe_source(args.data, args.split, args.data_range)
    info.update(num_images=len(x), labels=y is not None)
    print(f"Reference: {len(x)} images of {args.data!r} ({args.split})")
    progress = _progress_bar(len(x), "reference features")
    reference = compute_reference(
        x,
        extractor,
        labels=y,
        description=_describe_source(args.data, args.split, args.data_range),
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        progress=progress,
    )
    if reference.from_cache:
        print("Reference features read from the cache.")
    return reference, info


def _real_features(args, extractor, reference):
    from keras_genimg.data import load_slice

    x, _ = load_slice(
        args.real_images, args.split, args.real_range, None, False
    )
    print(f"Scoring {len(x)} real images of {args.real_images!r}")
    progress = _progress_bar(len(x), "real image features")
    return extractor.extract(x, progress=progress), x.shape[1:]


def _generated_features(args, generator, extractor):
    import numpy as np

    from keras_genimg.metrics import FeatureSet
    from keras_genimg.models.trial_limits import limit_samples

    args.num = limit_samples(args.num)
    print(f"Generating {args.num} images from {args.model!r}")
    progress = _progress_bar(args.num, "generated features")
    seeds = np.arange(args.seed, args.seed + args.num, dtype="int64")
    parts = []
    for start in range(0, len(seeds), GENERATE_CHUNK):
        images = generator.sample(seeds[start : start + GENERATE_CHUNK])
        parts.append(extractor.extract(images))
        progress(len(images))
    probabilities = None
    if parts[0].probabilities is not None:
        probabilities = np.concatenate([p.probabilities for p in parts])
    return FeatureSet(
        np.concatenate([p.features for p in parts]), probabilities
    )


def _progress_bar(total, name):
    """A progress callback; the bar appears at its first update."""
    import keras

    bar = None

    def add(count):
        nonlocal bar
        if bar is None:
            print(f"  {name}:")
            # A live bar on a terminal; one summary line in a log file.
            verbose = 1 if sys.stdout.isatty() else 2
            bar = keras.utils.Progbar(total, verbose=verbose, unit_name="image")
        bar.add(count)

    return add


# === Metrics and report ===


def _evaluate(args, reference, generated, extractor):
    from keras_genimg.metrics import compute_metrics

    result = compute_metrics(
        reference,
        generated,
        kid_subsets=args.kid_subsets,
        kid_subset_size=args.kid_subset_size,
        neighbours=args.neighbours,
        seed=args.seed,
    )
    coverage = result.pop("coverage", None)
    return {
        "metrics": result,
        "frechet_name": "FID" if extractor.name == "inception_v3" else "FCD",
        "coverage": coverage,
        "settings": {
            "kid_subsets": args.kid_subsets,
            "kid_subset_size": args.kid_subset_size,
            "neighbours": args.neighbours,
            "num_reference": len(reference),
        },
    }


def _describe_source(source, split, data_range):
    return {
        "source": source_name(source),
        "split": split,
        "range": list(data_range) if data_range else None,
    }


def _warn_if_judge_learned_other_data(features_info, data_info):
    trained_on = features_info.get("trained_on")
    if trained_on and trained_on["source"] != data_info["source"]:
        print(
            f"genimg eval: warning: the judge learned {trained_on['source']!r}"
            f", not {data_info['source']!r}: its features may not suit these "
            "images (train one with `genimg judge train --data` on them).",
            file=sys.stderr,
        )


def _say_what_is_replaced(out, report):
    """Says so when `out` holds the results of another configuration."""
    try:
        with open(out) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    for key in ("model", "real_images", "data", "features", "num_generated",
                "seed", "settings"):  # fmt: skip
        if old.get(key) != report.get(key):
            print(
                f"Replacing {out}, which held the results of another "
                f"configuration ({key}: {old.get(key)!r})."
            )
            return


def _write_json(path, data):
    from keras_genimg.callbacks.history_json import write_json_atomic

    write_json_atomic(path, data)
