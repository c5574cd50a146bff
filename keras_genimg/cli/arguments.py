"""Argument types shared by the `genimg` subcommands."""

import argparse


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
