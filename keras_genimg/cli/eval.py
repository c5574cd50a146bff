"""`genimg eval`: FID/FCD, KID, IS and precision/recall of a model."""

import argparse
import json
import sys

from keras_genimg.cli.arguments import output_beside, positive_int
from keras_genimg.cli.errors import CommandError
from keras_genimg.utils.paths import check_output_file

EVAL_FILE = "eval.json"


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
    from keras_genimg.callbacks.history_json import write_json_atomic
    from keras_genimg.metrics import (
        InceptionWeightsError,
        check_features,
        evaluate,
        format_report,
    )

    if (args.model is None) == (args.real_images is None):
        raise CommandError("give either MODEL or --real-images SOURCE")
    if args.real_range and not args.real_images:
        raise CommandError("--real-range goes with --real-images")
    try:
        check_features(args.features, args.inception_weights)
    except ValueError as err:
        raise CommandError(f"--features: {err}") from None
    out = args.out or output_beside(args.model, EVAL_FILE)
    check_output_file(out)
    try:
        report = evaluate(
            args.model,
            args.data,
            split=args.split,
            data_range=args.data_range,
            features=args.features,
            inception_weights=args.inception_weights,
            num_images=args.num,
            seed=args.seed,
            kid_subsets=args.kid_subsets,
            kid_subset_size=args.kid_subset_size,
            neighbours=args.neighbours,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            real_images=args.real_images,
            real_range=args.real_range,
            # A live bar on a terminal; one summary line in a log file.
            verbose=1 if sys.stdout.isatty() else 2,
        )
    except InceptionWeightsError as err:
        raise CommandError(str(err)) from None
    report = {"model": args.model or None, **report}
    print(format_report(report))
    _warn_if_judge_learned_other_data(report["features"], report["data"])
    _say_what_is_replaced(out, report)
    write_json_atomic(out, report)
    print(f"Wrote {out}")


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
