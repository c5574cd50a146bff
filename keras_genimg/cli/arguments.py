"""Argument types shared by the `genimg` subcommands."""

import argparse
import os


def positive_int(text):
    """argparse type: an int >= 1, or a clear usage error.

    Example:
    >>> positive_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        )
    return value


def model_name(text):
    """argparse type: the registry name of a zoo model.

    The registry is read only when a name is parsed, so that `--help`
    needs no Keras.

    Example:
    >>> model_name("dcgan")
    'dcgan'
    """
    from keras_genimg.models import names

    if text not in names():
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(names())})"
        )
    return text


def output_beside(model, filename):
    """Where a command writes `filename` when `--out` is not given: into
    the run folder (or beside the `.keras` file) it read, as `genimg plot`
    and `genimg animate` do; else into the current folder.

    Example:
    >>> output_beside("runs/dcgan/model.keras", "samples.png")
    'runs/dcgan/samples.png'
    """
    if model is None:
        return filename
    if os.path.isfile(os.path.join(model, "model.keras")):
        return os.path.join(model, filename)
    if model.endswith(".keras"):
        return os.path.join(os.path.dirname(model), filename)
    return filename
