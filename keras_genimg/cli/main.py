"""Entry point of the `genimg` command: parse, dispatch, report errors."""

import argparse
import os
import sys

from keras_genimg import __version__


class CommandError(Exception):
    """An error to report to the user as one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose usage errors are one line, like ours."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n"
        )


def build_parser():
    from keras_genimg.cli import (
        animate,
        eval,
        export,
        interpolate,
        judge,
        plot,
        sample,
        serving_config,
        synthesize,
        train,
        traverse,
    )

    parser = _Parser(
        prog="genimg",
        description=(
            "Train, sample, export and evaluate the keras_genimg "
            "image-generation models (vae, dcgan, cgan, wgan_gp, cvae) with "
            "Keras 3."
        ),
        epilog="Run 'genimg COMMAND --help' for the options of a command.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True
    )
    train.add_parser(commands)
    export.add_parser(commands)
    sample.add_parser(commands)
    serving_config.add_parser(commands)
    judge.add_parser(commands)
    eval.add_parser(commands)
    plot.add_parser(commands)
    animate.add_parser(commands)
    interpolate.add_parser(commands)
    traverse.add_parser(commands)
    synthesize.add_parser(commands)
    return parser


def main(argv=None):
    """Runs `genimg` with `argv` (default: `sys.argv[1:]`); returns 0.

    Bad arguments or data end the process with exit code 2 and a one-line
    message on stderr.
    """
    # TensorFlow's C++ start-up messages drown the progress bars; a user
    # can still show them by setting the variable. It must be set before
    # the parser imports TensorFlow.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    from keras_genimg.callbacks import TrainingDivergedError

    try:
        args.run(args)
    except (CommandError, ValueError, FileNotFoundError) as err:
        message = " ".join(str(err).split()) or repr(err)
        parser.exit(2, f"genimg {args.command}: error: {message}\n")
    except TrainingDivergedError as err:
        parser.exit(1, f"genimg {args.command}: error: {err}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"genimg {args.command}: interrupted\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
