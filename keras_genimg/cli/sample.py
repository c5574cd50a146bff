"""`genimg sample`: a grid of images from a model file, export or server."""

from keras_genimg.cli.arguments import positive_int


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
        "--num", type=positive_int, default=64, help="number of images"
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--out", default="samples.png", metavar="PNG", help="output image"
    )
    parser.set_defaults(run=run)
    return parser


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
    from keras_genimg.cli.model_source import open_generator

    with open_generator(args.path) as generator:
        return generator.sample(seeds)
