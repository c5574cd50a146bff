"""Argument types shared by the `genimg` subcommands."""

import argparse
import ast
import os


def positive_int(text):
    """argparse type: an int >= 1, or a clear usage error.

    Example:
    >>> positive_int("3")
    3
    """
    return _int_at_least(text, 1, "positive")


def non_negative_int(text):
    """argparse type: an int >= 0 (an index), or a clear usage error.

    Example:
    >>> non_negative_int("0")
    0
    """
    return _int_at_least(text, 0, "non-negative")


def _int_at_least(text, low, kind):
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise argparse.ArgumentTypeError(
            f"must be a {kind} integer, got {text!r}"
        )
    return value


def model_option(text):
    """argparse type: `KEY=VALUE`, a constructor option of the model.

    VALUE is read as a Python literal (`0.99`, `"hinge"`, `None`),
    `true`/`false`/`none` in any case, or else as a string.

    Example:
    >>> model_option("use_ema=false"), model_option("loss=hinge")
    (('use_ema', False), ('loss', 'hinge'))
    >>> model_option("ema_decay=0.99")
    ('ema_decay', 0.99)
    """
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals or not key.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE (e.g. use_ema=false), got {text!r}"
        )
    value = value.strip()
    words = {"true": True, "false": False, "none": None}
    if value.lower() in words:
        return key, words[value.lower()]
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


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
