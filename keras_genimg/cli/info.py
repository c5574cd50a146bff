"""`genimg info`: the Keras backend, its devices and the versions in use."""

import importlib.metadata
import platform

PACKAGES = ("keras", "numpy", "tensorflow", "jax", "jaxlib", "torch")


def add_parser(commands):
    parser = commands.add_parser(
        "info",
        help="print the Keras backend, its devices and package versions",
        description=(
            "Print the Keras backend genimg runs on (choose it with "
            "--backend or KERAS_BACKEND), the devices it sees and the "
            "versions of the packages it uses."
        ),
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import keras

    from keras_genimg import __version__

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
