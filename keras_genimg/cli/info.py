"""`genimg info`: the Keras backend, its devices, the versions in use and
the zoo's models with the defaults `genimg train` gives them."""

import importlib.metadata
import platform

from keras_genimg.cli.arguments import model_name

PACKAGES = ("keras", "numpy", "tensorflow", "jax", "jaxlib", "torch")


def add_parser(commands):
    parser = commands.add_parser(
        "info",
        help="print the Keras backend, its devices, package versions and "
        "the zoo's models",
        description=(
            "Print the Keras backend genimg runs on (choose it with "
            "--backend or KERAS_BACKEND), the devices it sees, the "
            "versions of the packages it uses, and the zoo's models with "
            "the defaults `genimg train` gives them."
        ),
    )
    parser.add_argument(
        "model",
        nargs="?",
        type=model_name,
        help="also list this model's options (`genimg train --option`) "
        "with their defaults",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import keras

    from keras_genimg import __version__, models

    print(f"keras_genimg {__version__}")
    print(f"backend: {keras.backend.backend()}")
    print(f"devices: {', '.join(keras.distribution.list_devices())}")
    print(f"python: {platform.python_version()}")
    for package in PACKAGES:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{package}: {version}")
    print("models (genimg train's defaults):")
    print(f"  {'name':9}{'class':16}{'labels':>7}{'latent':>8}{'batch':>7}"
          f"{'epochs':>8}")  # fmt: skip
    for name in models.names():
        entry = models.entry(name)
        latent = entry.latent_dim or "image"
        labels = "yes" if entry.conditional else "no"
        print(f"  {name:9}{entry.model_class.__name__:16}{labels:>7}"
              f"{latent:>8}{entry.batch_size:>7}{entry.epochs:>8}")  # fmt: skip
    if args.model:
        print(f"options of {args.model} (genimg train --option KEY=VALUE):")
        for key, value in models.options(args.model).items():
            print(f"  {key} = {value!r}")
