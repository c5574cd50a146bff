"""The error every `genimg` command reports as one line."""


class CommandError(Exception):
    """An error to report to the user as one line, without a traceback.

    `genimg` prints `genimg COMMAND: error: MESSAGE` and exits with code 2.

    Example:
    >>> raise CommandError("give either PATH or --server URL --model NAME")
    Traceback (most recent call last):
    ...
    keras_genimg.cli.errors.CommandError: give either PATH or --server URL \
--model NAME
    """
