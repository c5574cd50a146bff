"""`genimg interpolate`: walk between latent points, as a PNG and a GIF."""

import os

from keras_genimg.cli.arguments import non_negative_int, output_beside
from keras_genimg.utils.paths import check_output_file


def add_parser(commands):
    parser = commands.add_parser(
        "interpolate",
        help="write interpolations between samples (or real images) as a "
        "PNG strip and an animated GIF",
        description=(
            "Interpolate between pairs of latent vectors drawn from the "
            "prior (one pair per row), or, with --data, between pairs of "
            "real images encoded by a VAE, and decode the path. Writes OUT "
            "(one row per pair) and an animated GIF beside it."
        ),
    )
    parser.add_argument(
        "model", metavar="MODEL", help="a .keras file or a run folder"
    )
    parser.add_argument(
        "--steps", type=_at_least(2), default=10, help="images per row"
    )
    parser.add_argument(
        "--rows", type=_at_least(1), default=4, help="pairs, one per row"
    )
    parser.add_argument(
        "--method",
        choices=("slerp", "linear"),
        default="slerp",
        help="path between the two latent vectors: spherical (slerp, the "
        "default, stays where the Gaussian prior has its mass) or straight",
    )
    parser.add_argument("--seed", type=int, default=0, help="prior seed")
    parser.add_argument(
        "--label",
        type=int,
        help="class, for a conditional model (default: row r shows class "
        "r; with --data, required)",
    )
    parser.add_argument(
        "--data",
        metavar="SOURCE",
        help="interpolate between real images of this source (VAE only)",
    )
    parser.add_argument("--split", default="test", help="data split")
    parser.add_argument(
        "--offset",
        type=non_negative_int,
        default=0,
        help="first image of --data",
    )
    parser.add_argument(
        "--out",
        metavar="PNG",
        help="output strip (default: interpolation.png in the run folder, or "
        "beside the .keras file)",
    )
    parser.add_argument(
        "--gif", metavar="GIF", help="animated GIF (default: OUT as .gif)"
    )
    parser.set_defaults(run=run)
    return parser


def _at_least(low):
    import argparse

    def parse(text):
        if not text.isdigit() or int(text) < low:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {low}, got {text!r}"
            )
        return int(text)

    return parse


def gif_path(args):
    """The GIF path: `--gif`, or `--out` with a `.gif` ending; refuses
    one that would overwrite the strip."""
    gif = args.gif or os.path.splitext(args.out)[0] + ".gif"
    if os.path.abspath(gif) == os.path.abspath(args.out):
        raise ValueError(
            f"--out {args.out} would be overwritten by the GIF: --out names "
            "the PNG strip, --gif the animation."
        )
    return gif


def run(args):
    from keras_genimg import latent
    from keras_genimg.models import load_model

    args.out = args.out or output_beside(args.model, "interpolation.png")
    check_output_file(args.out)
    gif = gif_path(args)
    model = load_model(args.model, compile=False)
    conditional = getattr(model, "num_classes", None) is not None
    if args.label is not None and not conditional:
        raise ValueError("The model takes no class labels; leave --label out.")
    if args.data is not None:
        rows = _image_rows(model, args)
    else:
        rows = _prior_rows(model, args)
    latent.save_strip(args.out, rows)
    latent.save_gif(gif, rows)
    print(f"Wrote {args.out} and {gif}")


def _prior_rows(model, args):
    from keras_genimg import latent

    z = model.sample_latent(2 * args.rows, seed=args.seed)
    rows = []
    for row in range(args.rows):
        path = latent.interpolate(
            z[2 * row], z[2 * row + 1], args.steps, args.method
        )
        if getattr(model, "num_classes", None) is not None:
            label = (
                row % model.num_classes if args.label is None else args.label
            )
            rows.append(model.generate(z=path, labels=label))
        else:
            rows.append(model.generate(z=path))
    return rows


def _image_rows(model, args):
    from keras_genimg import data, latent

    if not getattr(model, "is_autoencoder", False):
        raise ValueError(
            f"--data needs a model with an encoder (vae, cvae); "
            f"{type(model).__name__} has none."
        )
    conditional = getattr(model, "num_classes", None) is not None
    if conditional and args.label is None:
        raise ValueError(
            "--data with a conditional model needs --label: the class of "
            "the images to interpolate between."
        )
    image_size = model.image_shape[:2]
    channels = model.image_shape[2]
    x, y = data.load_arrays(
        args.data,
        split=args.split,
        image_size=image_size,
        channels=channels,
        with_labels=conditional,
    )
    if conditional:
        x = x[y == args.label]
    x = x[args.offset : args.offset + 2 * args.rows]
    if len(x) < 2 * args.rows:
        raise ValueError(
            f"--rows {args.rows} needs {2 * args.rows} images from "
            f"{args.data!r} after --offset {args.offset}; found {len(x)}."
        )
    return [
        latent.interpolate_images(
            model,
            x[2 * row],
            x[2 * row + 1],
            args.steps,
            args.method,
            label=args.label,
        )
        for row in range(args.rows)
    ]
