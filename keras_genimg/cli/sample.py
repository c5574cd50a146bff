"""`genimg sample`: a grid of images from a model file, export or server."""

import os

SAVED_MODEL_FILE = "saved_model.pb"


def add_parser(commands):
    parser = commands.add_parser(
        "sample",
        help="write a grid of generated images as a PNG",
        description=(
            "Generate one image per seed (SEED, SEED+1, ...) and write them "
            "as one grid. The source is a .keras file, a SavedModel version "
            "folder (run with TensorFlow only, as TF Serving runs it) or a "
            "model served by TF Serving (--server). A seed gives the same "
            "image from all three."
        ),
    )
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a .keras file or a SavedModel version folder "
        "(e.g. saved_models/vae/1)",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="TF Serving address: http://HOST:8501 (REST) or grpc://HOST:8500",
    )
    parser.add_argument("--model", metavar="NAME", help="served model name")
    parser.add_argument(
        "--version", type=int, help="served version (default: latest)"
    )
    parser.add_argument(
        "--num", type=_positive_int, default=64, help="number of images"
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--out", default="samples.png", metavar="PNG", help="output image"
    )
    parser.set_defaults(run=run)
    return parser


def _positive_int(text):
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        )
    return int(text)


def run(args):
    import numpy as np

    from keras_genimg.callbacks.image_grid import save_image_grid
    from keras_genimg.cli.main import CommandError
    from keras_genimg.serving import ServingError

    seeds = np.arange(args.seed, args.seed + args.num, dtype="int64")
    try:
        images = _sample(args, seeds)
    except ServingError as err:
        raise CommandError(str(err)) from None
    save_image_grid(args.out, images)
    print(f"Wrote {len(images)} samples to {args.out}")


def _sample(args, seeds):
    from keras_genimg.cli.main import CommandError
    from keras_genimg.serving import Client

    if (args.path is None) == (args.server is None):
        raise CommandError("give either PATH or --server URL --model NAME")
    if args.server is not None:
        if not args.model:
            raise CommandError("--server needs --model NAME")
        with Client(args.server, args.model, version=args.version) as client:
            return client.sample(seeds)
    if args.model or args.version is not None:
        raise CommandError("--model and --version go with --server")
    if args.path.endswith(".keras"):
        return _sample_keras(args.path, seeds)
    if os.path.isfile(os.path.join(args.path, SAVED_MODEL_FILE)):
        with Client.from_saved_model(args.path) as client:
            return client.sample(seeds)
    raise FileNotFoundError(_not_a_model(args.path))


def _sample_keras(path, seeds):
    import keras

    import keras_genimg.models  # noqa: F401  (registers the zoo's classes)
    from keras_genimg.export import generate_from_seeds

    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    model = keras.models.load_model(path, compile=False)
    return generate_from_seeds(model, seeds)


def _not_a_model(path):
    from keras_genimg.export.versions import version_dirs

    found = sorted(version_dirs(path))
    if found:
        return (
            f"{path!r} is a model's base folder; pass one of its versions, "
            f"e.g. {os.path.join(path, str(found[-1]))!r}."
        )
    return f"{path!r} is neither a .keras file nor a SavedModel folder."
