"""Entry point of the `genimg` command: parse, dispatch, report errors."""

import argparse
import os
import subprocess
import sys

from keras_genimg import __version__

BACKENDS = ("jax", "tensorflow", "torch")
# Commands that write SavedModels, which takes Keras' TensorFlow backend:
# they run on it whatever backend was asked for (a `.keras` file opens on
# every backend).
TENSORFLOW_COMMANDS = ("export",)


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
        info,
        interpolate,
        judge,
        plot,
        restore,
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
            "image-generation models (vae, dcgan, cgan, sngan, wgan_gp, cvae, "
            "ddpm) with "
            "Keras 3."
        ),
        epilog="Run 'genimg COMMAND --help' for the options of a command.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="Keras backend to run on (default: KERAS_BACKEND, else "
        "tensorflow); may also follow the command",
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
    restore.add_parsers(commands)
    info.add_parser(commands)
    for command in commands.choices.values():
        command.add_argument(
            "--backend",
            choices=BACKENDS,
            default=argparse.SUPPRESS,
            help="Keras backend to run on: jax, tensorflow or torch "
            "(default: KERAS_BACKEND, else tensorflow)",
        )
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
    backend = getattr(args, "backend", None)
    if args.command in TENSORFLOW_COMMANDS:
        backend = "tensorflow"
    if backend is not None and backend != _running_backend():
        # Keras chose its backend when this process imported it: run the
        # command again in a process that starts on the backend asked for.
        status = run_on_backend(backend, sys.argv[1:] if argv is None else argv)
        if status:
            sys.exit(status)
        return 0
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


def _running_backend():
    import keras

    return keras.backend.backend()


def run_on_backend(backend, argv):
    """Runs `genimg argv` in a new process on `backend`; returns its status.

    Example: `genimg export` runs itself on TensorFlow this way when the
    model was opened on JAX or PyTorch.
    """
    env = dict(os.environ, KERAS_BACKEND=backend)
    command = [sys.executable, "-m", "keras_genimg.cli.main"]
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg == "--backend":
            skip_value = True
        elif not arg.startswith("--backend="):
            command.append(arg)
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
