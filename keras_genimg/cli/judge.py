"""`genimg judge train`: a classifier whose features judge generated images."""

import os

from keras_genimg.cli.arguments import positive_int
from keras_genimg.cli.errors import CommandError


def add_parser(commands):
    parser = commands.add_parser(
        "judge",
        help="train a classifier whose features 'genimg eval' can use",
        description=(
            "A small classifier trained on a labelled data set. 'genimg "
            "eval --features judge.keras' computes every metric on its "
            "penultimate features (the FID becomes the Fréchet classifier "
            "distance, FCD) and reports how the samples spread over the "
            "classes."
        ),
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    train = actions.add_parser(
        "train",
        help="train a judge and report its held-out accuracy",
        description=(
            "Train on the first images of the data and report the accuracy "
            "on the last --holdout share, which training never sees."
        ),
    )
    train.add_argument(
        "--data",
        required=True,
        metavar="SOURCE",
        help="a labelled data set (any 'genimg train' source with labels)",
    )
    train.add_argument("--split", default="train", help="data split")
    train.add_argument(
        "--limit", type=positive_int, help="use only the first N images"
    )
    train.add_argument(
        "--image-size",
        type=positive_int,
        metavar="H",
        help="resize to H x H (default: keep; match the models' size)",
    )
    train.add_argument(
        "--channels", type=int, choices=(1, 3), help="1 (gray) or 3 (RGB)"
    )
    train.add_argument(
        "--holdout",
        type=float,
        default=0.2,
        help="share of the images held out to measure accuracy (default: "
        "0.2, the last 20%%)",
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        default=5,
        help="training epochs (default: 5)",
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        default=128,
        help="images per training step (default: 128)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed")
    train.add_argument(
        "--out", default="judge.keras", metavar="FILE", help="a .keras file"
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="fit verbosity",
    )
    train.set_defaults(run=run_train)
    return parser


def run_train(args):
    from keras_genimg.callbacks.atomic_checkpoint import save_model_atomic
    from keras_genimg.callbacks.history_json import write_json_atomic
    from keras_genimg.data import load_arrays
    from keras_genimg.metrics import provenance_path, source_name, train_judge

    if not args.out.endswith(".keras"):
        raise CommandError(f"--out must end in '.keras', got {args.out!r}")
    if not 0.0 <= args.holdout < 1.0:
        raise CommandError(f"--holdout must be in [0, 1), got {args.holdout}")
    x, y = load_arrays(
        args.data,
        split=args.split,
        image_size=args.image_size,
        channels=args.channels,
        with_labels=True,
        limit=args.limit,
    )
    judge, accuracy = train_judge(
        x,
        y,
        epochs=args.epochs,
        batch_size=args.batch_size,
        holdout=args.holdout,
        seed=args.seed,
        verbose=args.verbose,
    )
    save_model_atomic(judge, args.out)
    write_json_atomic(
        provenance_path(args.out),
        {
            "source": source_name(args.data),
            "split": args.split,
            "image_shape": list(x.shape[1:]),
            "num_classes": int(y.max()) + 1,
        },
    )
    held_out = len(x) - int(round(len(x) * args.holdout))
    if accuracy is None:
        print(f"Trained on all {len(x)} images (no held-out images).")
    else:
        print(
            f"Trained on images 0:{held_out}; accuracy on the "
            f"{len(x) - held_out} held-out images {held_out}:{len(x)}: "
            f"{accuracy:.4f}"
        )
    print(f"Wrote {os.path.abspath(args.out)}")
