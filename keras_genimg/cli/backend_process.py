"""Running a `genimg` command again in a process of its own, on another
Keras backend (Keras picks its backend once per process)."""

import os
import signal
import subprocess
import sys

from keras_genimg import _run_as_genimg_command


def run_on_backend(backend, argv):
    """Runs `genimg argv` in a new process on `backend`; returns its status.

    Example: `genimg export` runs itself on TensorFlow this way when the
    model was opened on JAX or PyTorch.
    """
    env = dict(os.environ, KERAS_BACKEND=backend)
    if _run_as_genimg_command():
        command = [sys.executable, sys.argv[0]]
    else:
        command = [sys.executable, "-m", "keras_genimg.cli.main"]
    skip_value = False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg == "--backend":
            skip_value = True
        elif not arg.startswith("--backend="):
            command.append(arg)
    process = subprocess.Popen(command, env=env, stderr=_stderr_file())
    try:
        return process.wait()
    except KeyboardInterrupt:
        # A SIGTERM sent to this process alone (a scheduler's) stops the
        # command too, which says so itself, unless the signal killed it
        # first (then it is said here).
        process.send_signal(signal.SIGTERM)
        status = process.wait()
        if status < 0:
            raise
        return status


def _stderr_file():
    """`sys.stderr` for a child process when it has a file descriptor
    (after `hide_native_stderr`, the terminal's copy); else inherit."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return sys.stderr
