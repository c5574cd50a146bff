"""`genimg traverse`: sweep latent dimensions, as a PNG and a GIF."""

from keras_genimg.cli.arguments import non_negative_int, output_beside
from keras_genimg.utils.paths import check_output_file


def add_parser(commands):
    parser = commands.add_parser(
        "traverse",
        help="write latent traversals (one row per dimension) as a PNG and "
        "an animated GIF",
        description=(
            "Start from one latent vector (the prior mean, a prior sample "
            "with --seed, or a real image's code with --data) and sweep "
            "each chosen dimension through --range while keeping the "
            "others. Writes OUT (one row per dimension) and an animated GIF "
            "beside it. With a beta-VAE, each row should change one visual "
            "factor."
        ),
    )
    parser.add_argument(
        "model", metavar="MODEL", help="a .keras file or a run folder"
    )
    parser.add_argument(
        "--dims",
        type=_dims,
        help="comma-separated dimensions, e.g. 0,3,5 (default: all, at "
        "most the first 16)",
    )
    parser.add_argument(
        "--range",
        type=float,
        nargs=2,
        default=(-3.0, 3.0),
        metavar=("LOW", "HIGH"),
        help="values each dimension sweeps (default: -3 3)",
    )
    parser.add_argument("--steps", type=int, default=9, help="values per row")
    parser.add_argument(
        "--seed", type=int, help="start from a prior sample with this seed"
    )
    parser.add_argument(
        "--data",
        metavar="SOURCE",
        help="start from the code of a real image of this source (VAE only)",
    )
    parser.add_argument("--split", default="test", help="data split")
    parser.add_argument(
        "--index",
        type=non_negative_int,
        default=0,
        help="which image of --data",
    )
    parser.add_argument(
        "--label", type=int, help="class, required for a conditional model"
    )
    parser.add_argument(
        "--out",
        metavar="PNG",
        help="output strip (default: traversal.png in the run folder, or "
        "beside the .keras file)",
    )
    parser.add_argument(
        "--gif", metavar="GIF", help="animated GIF (default: OUT as .gif)"
    )
    parser.set_defaults(run=run)
    return parser


MAX_DEFAULT_DIMS = 16


def _dims(text):
    import argparse

    try:
        dims = [int(part) for part in text.split(",")]
    except ValueError:
        dims = []
    if not dims or min(dims) < 0:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers >= 0, got {text!r}"
        )
    return dims


def run(args):
    import numpy as np

    from keras_genimg import latent
    from keras_genimg.cli.interpolate import gif_path
    from keras_genimg.models import load_model

    if args.steps < 2:
        raise ValueError(f"--steps must be >= 2, got {args.steps}.")
    args.out = args.out or output_beside(args.model, "traversal.png")
    check_output_file(args.out)
    gif = gif_path(args)
    model = load_model(args.model, compile=False)
    conditional = getattr(model, "num_classes", None) is not None
    if conditional and args.label is None:
        raise ValueError(
            f"{type(model).__name__} is conditional: pass --label CLASS."
        )
    if not conditional and args.label is not None:
        raise ValueError("The model takes no class labels; leave --label out.")
    dims = args.dims or list(range(min(model.latent_dim, MAX_DEFAULT_DIMS)))
    if max(dims) >= model.latent_dim:
        raise ValueError(
            f"--dims must be below the latent size {model.latent_dim}; got "
            f"{max(dims)}."
        )
    start = _start(model, args)
    values = np.linspace(*args.range, args.steps)
    rows = [
        latent.traverse(model, start, dim, values, label=args.label)
        for dim in dims
    ]
    latent.save_strip(args.out, rows, [f"dim {d}" for d in dims])
    latent.save_gif(gif, rows)
    print(
        f"Wrote {args.out} and {gif}: dimensions "
        f"{', '.join(map(str, dims))} from {args.range[0]:g} to "
        f"{args.range[1]:g}"
    )


def _start(model, args):
    import numpy as np

    from keras_genimg import data

    if args.data is not None and args.seed is not None:
        raise ValueError("Give --seed or --data, not both.")
    if args.seed is not None:
        return model.sample_latent(1, seed=args.seed)[0]
    if args.data is None:
        return np.zeros(model.latent_dim, "float32")
    if not getattr(model, "is_autoencoder", False):
        raise ValueError(
            f"--data needs a model with an encoder (vae, cvae); "
            f"{type(model).__name__} has none."
        )
    x, _ = data.load_arrays(
        args.data,
        split=args.split,
        image_size=model.image_shape[:2],
        channels=model.image_shape[2],
        limit=args.index + 1,
    )
    if len(x) <= args.index:
        raise ValueError(
            f"--index {args.index} is past the {len(x)} images of "
            f"{args.data!r}."
        )
    if getattr(model, "num_classes", None) is not None:
        z_mean, _ = model.encode(x[args.index :], args.label)
    else:
        z_mean, _ = model.encode(x[args.index :])
    return z_mean[0]
