"""`genimg synthesize`: a labelled data set drawn from a conditional model."""

import os

from keras_genimg.cli.arguments import positive_int

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
        "--model",
        required=True,
        metavar="PATH",
        help="a run folder or .keras file of a conditional model (cgan, "
        "cvae), or a SavedModel version folder (e.g. saved_models/cgan/1)",
    )
    parser.add_argument(
        "--per-class", type=positive_int, required=True, metavar="N"
    )
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--out", default="synthetic.npz", metavar="NPZ", help="output file"
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import numpy as np

    from keras_genimg.cli.main import CommandError
    from keras_genimg.serving import ServingError
    from keras_genimg.utils import atomic_path

    try:
        images, labels = synthesize(args.model, args.per_class, args.seed)
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
    from keras_genimg.cli.model_source import (
        MODEL_FILE,
        is_saved_model,
        load_keras_model,
        not_a_model,
    )
    from keras_genimg.export import latents_from_seeds

    if is_saved_model(path):
        return _from_saved_model(path, per_class, seed)
    if os.path.isdir(path) and not os.path.isfile(
        os.path.join(path, MODEL_FILE)
    ):
        raise FileNotFoundError(not_a_model(path))
    model = load_keras_model(path)
    if not hasattr(model, "num_classes"):
        raise ValueError(_unconditional(type(model).__name__))
    seeds, labels = _seeds_and_labels(model.num_classes, per_class, seed)
    z = latents_from_seeds(seeds, model.latent_dim)
    return model.generate(z=z, labels=labels), labels


def _from_saved_model(path, per_class, seed):
    import numpy as np

    from keras_genimg.serving import Client

    with Client.from_saved_model(path) as client:
        if "label" not in client.signatures["sample"]["inputs"]:
            raise ValueError(_unconditional(f"The SavedModel {path!r}"))
        num_classes = served_num_classes(client)
        seeds, labels = _seeds_and_labels(num_classes, per_class, seed)
        images = [
            client.sample(seeds[i : i + CHUNK], labels[i : i + CHUNK])
            for i in range(0, len(seeds), CHUNK)
        ]
    return np.concatenate(images).astype("float32"), labels


def served_num_classes(client, limit=2**20):
    """The number of classes of a served conditional model.

    The signatures do not list it, but they refuse any label at or above
    it, so the smallest refused label is found by bisection.

    Args:
        client: a `keras_genimg.serving.Client` of a conditional model.
        limit: int. The largest number of classes looked for.

    Returns:
        int. The number of classes.
    """
    from keras_genimg.serving import ServingError

    def accepts(label):
        try:
            client.sample([0], labels=[label])
        except ServingError:
            return False
        return True

    low, high = 1, limit  # accepts(low - 1); the answer is in [low, high].
    while low < high:
        middle = (low + high) // 2
        if accepts(middle):
            low = middle + 1
        else:
            high = middle
    return low


def _seeds_and_labels(num_classes, per_class, seed):
    import numpy as np

    from keras_genimg.export.latents import check_seeds

    labels = np.repeat(np.arange(num_classes, dtype="int32"), per_class)
    seeds = check_seeds(np.arange(seed, seed + len(labels), dtype="int64"))
    return seeds, labels


def _unconditional(what):
    return (
        f"{what} is unconditional: synthesize needs a conditional model "
        "(cgan, cvae) to label its images."
    )
