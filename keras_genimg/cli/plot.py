"""`genimg plot`: loss curves and, for a VAE, pictures of its latent space."""

import json
import os

from keras_genimg.cli.arguments import positive_int

SCATTER_IMAGES = 2000


def add_parser(commands):
    parser = commands.add_parser(
        "plot",
        help="plot loss curves (and a VAE's latent space) as PNGs",
        description=(
            "Writes RUN_DIR/history.png (one panel per logged metric). For "
            "a VAE also RUN_DIR/latent_manifold.png (decoded grid of "
            "latent points through the Gaussian quantiles) and "
            "RUN_DIR/latent_scatter.png (posterior means coloured by "
            "class; a PCA projection for latent sizes above 2)."
        ),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    parser.add_argument(
        "--data",
        metavar="SOURCE",
        help="images for the latent scatter (default: the run's training "
        "data, from RUN_DIR/config.json)",
    )
    parser.add_argument("--split", help="data split (default: the run's)")
    parser.add_argument(
        "--num",
        type=positive_int,
        default=SCATTER_IMAGES,
        help=f"images in the scatter (default: {SCATTER_IMAGES})",
    )
    parser.add_argument(
        "--grid-size",
        type=positive_int,
        default=20,
        help="images per side of the manifold (default: 20)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    from keras_genimg.plots import plot_history

    if not os.path.isdir(args.run_dir):
        raise FileNotFoundError(f"No run folder at {args.run_dir!r}.")
    written = [
        plot_history(args.run_dir, os.path.join(args.run_dir, "history.png"))
    ]
    model_path = os.path.join(args.run_dir, "model.keras")
    if os.path.isfile(model_path):
        written += _plot_latent(args, model_path)
    for path in written:
        print(f"Wrote {path}")


def _plot_latent(args, model_path):
    from keras_genimg.models import load_model
    from keras_genimg.plots import plot_latent_manifold, plot_latent_scatter

    model = load_model(model_path, compile=False)
    if not getattr(model, "is_autoencoder", False):
        return []
    images, labels = _scatter_images(args, model.image_shape)
    out = args.run_dir
    written = [
        plot_latent_manifold(
            model,
            os.path.join(out, "latent_manifold.png"),
            grid_size=args.grid_size,
            images=images,
            labels=labels,
        )
    ]
    if images is not None:
        written.append(
            plot_latent_scatter(
                model, images, labels, os.path.join(out, "latent_scatter.png")
            )
        )
    return written


def _scatter_images(args, image_shape):
    """Labelled images of the run's data, or `(None, None)` with a note."""
    from keras_genimg.data import DataSourceError, load_slice

    config = _run_config(args.run_dir)
    source = args.data or config.get("data")
    if source is None:
        print("No --data and no data in config.json: no latent scatter.")
        return None, None
    split = args.split or config.get("split") or "train"
    try:
        return load_slice(source, split, (0, args.num, 1), image_shape)
    except DataSourceError as err:
        if args.data:
            raise
        print(f"Cannot read the run's data for the latent scatter ({err}).")
        return None, None


def _run_config(run_dir):
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)
