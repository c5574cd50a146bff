"""Processes that run beside the rest of the suite.

`tests/conftest.py` starts the README tour, the backend matrix and the
mirrored-strategy checks when the suite starts; their processes run at a
lower priority, so that the tests in the foreground get the cores first
and these take what is left.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# One thread per pool: the background processes take the cores the
# foreground leaves, and pools of two threads each would spin against it.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}


def run_niced(module_args, env=None):
    """Runs `python -m *module_args` in the repository root at a lower
    priority, with one thread per thread pool (`ONE_THREAD`), for at most
    20 minutes.

    Args:
        module_args: list of str. The module and its arguments.
        env: dict or None. The environment (None: this process').

    Returns:
        The `subprocess.CompletedProcess`, its output captured as text.
    """
    command = ["nice", "-n", "10", sys.executable, "-m", *module_args]
    env = {**(os.environ if env is None else env), **ONE_THREAD}
    return subprocess.run(command, cwd=ROOT, env=env, timeout=1200,
                          capture_output=True, text=True)  # fmt: skip
