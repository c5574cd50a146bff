"""`genimg synthesize`: a labelled data set drawn from a conditional model."""

from keras_genimg.cli.arguments import positive_int
from keras_genimg.cli.errors import CommandError
from keras_genimg.utils.paths import check_output_file

CHUNK = 256


def add_parser(commands):
    parser = commands.add_parser(
        "synthesize",
        help="generate a labelled .npz data set with a conditional model",
        description=(
            "Generate --per-class images of every class and write them as "
            "an .npz with uint8 images `x` (N, H, W, C) and int32 labels "
            "`y`, the form load_images and `genimg train --data` read. "
            "Image i is drawn from seed SEED+i, the same image from the "
            ".keras model and from its SavedModel export."
        ),
    )
    parser.add_argument(
        "path",
        nargs="?",
        metavar="MODEL",
        help="a run folder or .keras file of a conditional model (cgan, "
        "cvae), or a SavedModel version folder (e.g. saved_models/cgan/1)",
    )
    parser.add_argument(
        "--model", metavar="MODEL", help="the same as MODEL, by name"
    )
    parser.add_argument(
        "--per-class",
        type=positive_int,
        required=True,
        metavar="N",
        help="images of every class",
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--out", default="synthetic.npz", metavar="NPZ", help="output file"
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import numpy as np

    from keras_genimg.models.trial_limits import limit_samples
    from keras_genimg.serving import ServingError
    from keras_genimg.utils import atomic_path

    if (args.path is None) == (args.model is None):
        raise CommandError("Pass the model once: `genimg synthesize MODEL`.")
    check_output_file(args.out)
    try:
        images, labels = synthesize(
            args.path or args.model, limit_samples(args.per_class), args.seed
        )
    except ServingError as err:
        raise CommandError(str(err)) from None
    pixels = np.round(np.clip(images, 0.0, 1.0) * 255.0).astype("uint8")
    with atomic_path(args.out) as tmp_path:
        with open(tmp_path, "wb") as f:
            np.savez_compressed(f, x=pixels, y=labels)
    counts = np.bincount(labels)
    print(
        f"Wrote {len(labels)} images of {len(counts)} classes "
        f"({pixels.shape[1]}x{pixels.shape[2]}x{pixels.shape[3]}) to "
        f"{args.out}"
    )


def synthesize(path, per_class, seed=0):
    """Draws `per_class` images of every class of a conditional model.

    Args:
        path: str. A run folder, a `.keras` file or a SavedModel version
            folder of a conditional model.
        per_class: int. Images per class.
        seed: int. Image `i` (class `i // per_class`) uses seed `seed + i`.

    Returns:
        `(images, labels)`: float32 `(N, H, W, C)` in [0, 1] and int32
        `(N,)`, sorted by class.
    """
    import numpy as np

    from keras_genimg.export import open_generator

    with open_generator(path) as generator:
        if generator.num_classes is None:
            raise ValueError(
                f"The model at {path!r} is unconditional: synthesize needs "
                "a conditional model (cgan, cvae) to label its images."
            )
        seeds, labels = _seeds_and_labels(
            generator.num_classes, per_class, seed
        )
        images = [
            generator.sample(seeds[i : i + CHUNK], labels[i : i + CHUNK])
            for i in range(0, len(seeds), CHUNK)
        ]
    return np.concatenate(images).astype("float32"), labels


def _seeds_and_labels(num_classes, per_class, seed):
    import numpy as np

    from keras_genimg.export.latents import check_seeds

    labels = np.repeat(np.arange(num_classes, dtype="int32"), per_class)
    seeds = check_seeds(np.arange(seed, seed + len(labels), dtype="int64"))
    return seeds, labels
