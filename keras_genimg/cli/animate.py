"""`genimg animate`: an animated GIF of a run's epoch sample grids."""

import os

from keras_genimg.cli.arguments import positive_int
from keras_genimg.utils.paths import check_output_file


def add_parser(commands):
    parser = commands.add_parser(
        "animate",
        help="animate the epoch sample grids of a run as a GIF",
        description=(
            "Writes the grids RUN_DIR/samples/epoch_NNNN.png, in epoch "
            "order, as one looping GIF (default: RUN_DIR/samples.gif)."
        ),
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    parser.add_argument("--out", metavar="GIF", help="the GIF to write")
    parser.add_argument(
        "--frame-ms",
        type=positive_int,
        default=400,
        help="milliseconds per epoch (default: 400)",
    )
    parser.add_argument(
        "--no-labels",
        action="store_true",
        help="leave out the 'epoch N' strip above each frame",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    from keras_genimg.plots import animate_grids

    out = args.out or os.path.join(args.run_dir, "samples.gif")
    check_output_file(out)
    path, frames = animate_grids(
        args.run_dir, out, frame_ms=args.frame_ms, label=not args.no_labels
    )
    print(f"Wrote {path} ({frames} epochs)")
