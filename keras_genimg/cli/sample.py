"""`genimg sample`: a grid of images from a model file, export or server."""

from keras_genimg.cli.arguments import output_beside, positive_int
from keras_genimg.cli.errors import CommandError
from keras_genimg.utils.paths import check_output_file


def add_parser(commands):
    parser = commands.add_parser(
        "sample",
        help="write a grid of generated images as a PNG",
        description=(
            "Generate one image per seed (SEED, SEED+1, ...) and write them "
            "as one grid. The source is a .keras file, a SavedModel version "
            "folder (run with TensorFlow only, as TF Serving runs it) or a "
            "model served by TF Serving (--server). A seed gives the same "
            "image from all three. A conditional model (cgan, cvae) draws "
            "the classes given by --label, in turn; without it, image i is "
            "of class i modulo the number of classes."
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
        "--label",
        type=int,
        nargs="+",
        metavar="CLASS",
        help="class(es) to draw from a conditional model, used in turn",
    )
    parser.add_argument(
        "--out",
        metavar="PNG",
        help="output image (default: samples.png in the run folder, "
        "else in the current folder)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import numpy as np

    from keras_genimg.callbacks.image_grid import save_image_grid
    from keras_genimg.serving import ServingError

    out = args.out or output_beside(args.path, "samples.png")
    check_output_file(out)
    seeds = np.arange(args.seed, args.seed + args.num, dtype="int64")
    try:
        images = _sample(args, seeds)
    except ServingError as err:
        raise CommandError(str(err)) from None
    save_image_grid(out, images)
    print(f"Wrote {len(images)} samples to {out}")


def _sample(args, seeds):
    from keras_genimg.export import client_generator, open_generator
    from keras_genimg.serving import Client

    if (args.path is None) == (args.server is None):
        raise CommandError("give either PATH or --server URL --model NAME")
    if args.server is not None:
        if not args.model:
            raise CommandError("--server needs --model NAME")
        client = Client(args.server, args.model, version=args.version)
        generator = client_generator(client)
    elif args.model or args.version is not None:
        raise CommandError("--model and --version go with --server")
    else:
        generator = open_generator(args.path)
    with generator:
        labels = _labels(args.label, generator.num_classes, len(seeds))
        return generator.sample(seeds, labels)


def _labels(chosen, num_classes, count):
    """One label per image: `chosen` in turn, or every class in turn."""
    import numpy as np

    if num_classes is None:
        if chosen is not None:
            raise ValueError("The model is unconditional: it takes no --label.")
        return None
    chosen = np.arange(num_classes) if chosen is None else np.array(chosen)
    bad = chosen[(chosen < 0) | (chosen >= num_classes)]
    if bad.size:
        raise ValueError(
            f"--label {bad[0]} is out of range: the model has "
            f"{num_classes} classes, 0 to {num_classes - 1}."
        )
    return np.resize(chosen, count).astype("int32")
