"""`genimg export`: turn a `.keras` model into a TF Serving version."""

from keras_genimg.cli.arguments import positive_int
from keras_genimg.cli.errors import CommandError


def add_parser(commands):
    parser = commands.add_parser(
        "export",
        help="export a .keras model as a SavedModel version for TF Serving",
        description=(
            "Export the inference networks of a trained model as "
            "DIR/<version>/ (saved_model.pb, variables/, assets.extra/ "
            "warmup requests), checked the way TF Serving loads it and "
            "published atomically."
        ),
    )
    parser.add_argument("model", metavar="MODEL.keras", help="model file")
    parser.add_argument(
        "--to",
        required=True,
        metavar="DIR",
        help="the model's base folder, e.g. saved_models/vae",
    )
    parser.add_argument(
        "--version",
        type=_version,
        help="version number (default: one more than the highest in DIR)",
    )
    parser.add_argument(
        "--sampling-steps",
        type=positive_int,
        metavar="N",
        help=(
            "diffusion models: the DDIM steps the exported sampler runs "
            "(default: the model's sampling_steps, 50 unless set)"
        ),
    )
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="do not write assets.extra/tf_serving_warmup_requests",
    )
    parser.set_defaults(run=run)
    return parser


def _version(text):
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        )
    return int(text)


def run(args):
    from keras_genimg.export import ExportError, export_saved_model
    from keras_genimg.models import load_model

    model = load_model(args.model, compile=False)
    if args.sampling_steps is not None:
        if not model.is_diffusion:
            raise CommandError(
                f"--sampling-steps is for diffusion models; {args.model} "
                f"holds a {type(model).__name__}."
            )
        try:
            model.sampling_steps = args.sampling_steps
        except ValueError as err:
            raise CommandError(f"--sampling-steps: {err}") from None
    try:
        path = export_saved_model(
            model, args.to, version=args.version, warmup=args.warmup
        )
    except (ExportError, FileExistsError) as err:
        raise CommandError(str(err)) from None
    print(f"Exported {args.model} to {path}")
    if model.is_diffusion:
        print(
            f"Its signatures run {model.sampling_steps} DDIM steps (fixed "
            "at export; recorded in assets.extra/keras_genimg.json)."
        )
