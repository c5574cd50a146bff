"""Entry point of the `genimg` command: parse, dispatch, report errors."""

import argparse
import os
import signal
import sys
import warnings

from keras_genimg import __version__
from keras_genimg.cli.backend_process import run_on_backend
from keras_genimg.cli.errors import CommandError

BACKENDS = ("jax", "tensorflow", "torch")
# The package each backend needs: (backend, how to install it; README,
# "Backends").
BACKEND_PACKAGES = {
    "jax": ("jax", "pip install -e '.[jax]'"),
    "jaxlib": ("jax", "pip install -e '.[jax]'"),
    "torch": ("torch", "pip install -e '.[torch]'"),
    "tensorflow": ("tensorflow", "pip install -e ."),
}
# Commands that write SavedModels, which takes Keras' TensorFlow backend:
# they run on it whatever backend was asked for (a `.keras` file opens on
# every backend).
TENSORFLOW_COMMANDS = ("export",)


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
    parser.add_argument(
        "--backend-logs",
        action="store_true",
        help="show the start-up and runtime messages of the backend's "
        "native code (TensorFlow's C++ logs), hidden by default",
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
    if argv is None:
        # What schedulers and `docker stop` send: stop as on Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        warnings.formatwarning = _one_line_warning
        # Before parsing, which may read the model registry (and so
        # start the backend).
        if "--backend-logs" not in sys.argv[1:]:
            hide_native_stderr()
    args_given = sys.argv[1:] if argv is None else list(argv)
    if argv is None:
        _start_on_the_backend_asked_for(args_given)
    running = None if _names_a_backend(args_given) else _running_backend()
    if running is not None and running not in BACKENDS:
        # Parsing reads the model registry, which cannot load here.
        sys.stderr.write(
            f"genimg: error: Keras is set to its {running!r} "
            "backend (KERAS_BACKEND or ~/.keras/keras.json); genimg runs on "
            "jax, tensorflow or torch: pass --backend or set KERAS_BACKEND\n"
        )
        sys.exit(2)
    parser = build_parser()
    args = parser.parse_args(argv)
    backend = getattr(args, "backend", None)
    if args.command in TENSORFLOW_COMMANDS:
        backend = "tensorflow"
    if backend is not None and backend != _running_backend():
        # Keras chose its backend when this process imported it (`main`
        # called from Python): run the command again in a process that
        # starts on the backend asked for.
        try:
            status = run_on_backend(backend, args_given)
        except KeyboardInterrupt as interrupt:
            _exit_interrupted(parser, args, interrupt)
        if status:
            sys.exit(status)
        return 0
    from keras_genimg.callbacks import TrainingDivergedError

    try:
        args.run(args)
    except (CommandError, ValueError, OSError) as err:
        message = " ".join(str(err).split()) or repr(err)
        parser.exit(2, f"genimg {args.command}: error: {message}\n")
    except TrainingDivergedError as err:
        parser.exit(1, f"genimg {args.command}: error: {err}\n")
    except KeyboardInterrupt as interrupt:
        _exit_interrupted(parser, args, interrupt)
    return 0


def _exit_interrupted(parser, args, interrupt):
    resume = ""
    if args.command == "train":
        resume = "; run the same command again to resume after the last "
        resume += "completed epoch"
    parser.exit(130, f"genimg {args.command}: interrupted{interrupt}{resume}\n")


def _one_line_warning(message, category, *args, **kwargs):
    """A warning as `genimg: warning: ...`: the command's user needs no
    file and line of the library."""
    return f"genimg: warning: {' '.join(str(message).split())}\n"


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f" by {signal.Signals(signum).name}")


def hide_native_stderr():
    """Sends what native code writes to stderr to the null device.

    TensorFlow's C++ logging writes 6-10 lines to file descriptor 2 on
    every start and more while it runs (whatever `TF_CPP_MIN_LOG_LEVEL`
    says, before its logging is initialised). Python's `sys.stderr` -- our
    errors, warnings and tracebacks -- moves to a copy of the original
    descriptor and still reaches the terminal.
    """
    sys.stderr.flush()
    terminal = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.stderr = os.fdopen(terminal, "w", buffering=1)


def _start_on_the_backend_asked_for(argv):
    """Sets `KERAS_BACKEND` to the backend `argv` asks for (`--backend X`,
    or TensorFlow for a command that writes SavedModels) where Keras is
    not imported yet, so that this process runs the command on it rather
    than starting a second process."""
    if "keras" in sys.modules:
        return
    backend, command = _backend_and_command(argv)
    if command in TENSORFLOW_COMMANDS:
        backend = "tensorflow"
    if backend in BACKENDS:
        os.environ["KERAS_BACKEND"] = backend


def _names_a_backend(argv):
    """Whether `argv` asks for a backend (`--backend X`, or a command that
    runs on TensorFlow), or only for help or the version, which need none
    (and answer without importing Keras)."""
    if any(arg in ("--version", "--help", "-h") for arg in argv):
        return True
    backend, command = _backend_and_command(argv)
    return backend is not None or command in TENSORFLOW_COMMANDS


def _backend_and_command(argv):
    """`(backend, command)` as `argv` gives them, before parsing: the
    value of `--backend` (None without one, "" where the value is
    missing) and the first word that is neither an option nor its value."""
    backend, command, value_follows = None, None, False
    for arg in argv:
        if value_follows:
            backend, value_follows = arg, False
        elif arg == "--backend":
            backend, value_follows = "", True
        elif arg.startswith("--backend="):
            backend = arg.partition("=")[2]
        elif command is None and not arg.startswith("-"):
            command = arg
    return backend, command


def _running_backend():
    """Keras' backend; exits with one line where its package is missing."""
    try:
        import keras
    except ModuleNotFoundError as err:
        if err.name not in BACKEND_PACKAGES:
            raise
        backend, install = BACKEND_PACKAGES[err.name]
        sys.stderr.write(
            f"genimg: error: Keras' {backend} backend needs the {err.name} "
            f"package, which is not installed ({install} in the checkout; "
            "see the README's Backends section)\n"
        )
        sys.exit(2)
    return keras.backend.backend()


if __name__ == "__main__":
    sys.exit(main())
