"""Runs every fenced `bash` and `python` block of the README, as printed.

    python -m tests.docs.readme_tour OUT   # writes OUT/outcomes.json

The blocks run in README order in one scratch folder, `OUT/checkout`,
beside a `shared` link, so that `../shared/data/mnist` means there what it
means beside a checkout, with the environment variables of
`keras_genimg.models.trial_limits` capping the training they ask for.
`genimg` lines run through the command's entry point in this process (a
process per line would start TensorFlow some thirty times); python blocks
run in one namespace, as pasted into one session, except those that pick
a Keras backend, which run as scripts. What cannot run here is listed in
SKIPPED with the reason; a block whose every line is skipped counts as
skipped. Without `../shared/data/mnist` (the tests must pass without it),
the lines that read it are skipped, and so are the lines and blocks that
read what those would have written (their `--out`, `--export`, `--to`).
`tests/docs/test_readme.py` starts this in the background when the suite
starts and reports one test per block.
"""

import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
MNIST = "../shared/data/mnist"
DOCUMENTS = ("README.md", "saved_models/README.md")
REFERENCE_CACHE = "reference_cache"
LIMITS = {
    "GENIMG_MAX_EPOCHS": "1",
    "GENIMG_MAX_STEPS": "2",
    "GENIMG_MAX_SAMPLES": "500",
}

# Lines (by how they start) that cannot run in a test, and why.
SKIPPED = {
    "pip install": "installs the package; the tests run on it installed",
    "python -m pytest": "runs this test suite",
    "docker run": "needs Docker and the tensorflow/serving image",
    "curl ": "queries a running TensorFlow Serving",
    "genimg sample --server": "queries a running TensorFlow Serving",
    "export TF_CONFIG": "needs two machines",
    "genimg train dcgan --strategy multiworker": "needs two machines",
    # A JAX process compiles for half a minute; tests/backends/test_backends.py
    # runs `genimg train --backend jax --strategy data-parallel`.
    "genimg train vae --backend jax": (
        "runs in tests/backends/test_backends.py"
    ),
    "genimg train dcgan --backend jax": (
        "runs in tests/backends/test_backends.py"
    ),
    "genimg eval runs/dcgan --data cifar10": (
        "downloads CIFAR-10 and the Inception weights"
    ),
    "from keras_genimg.serving import Client": (
        "queries a running TensorFlow Serving"
    ),
}


def blocks(document):
    """The fenced bash and python blocks of `document`: (line, lang, text)."""
    found, lines = [], (ROOT / document).read_text().splitlines()
    start = None
    for number, line in enumerate(lines, 1):
        if line.startswith("```") and start is None:
            start, lang, body = number, line[3:].strip(), []
        elif line.startswith("```"):
            if lang in ("bash", "python"):
                found.append((start, lang, "\n".join(body)))
            start = None
        elif start is not None:
            body.append(line)
    return found


def commands(text):
    """The shell commands of a bash block, one per `&&`-joined part; a
    command goes on over a trailing backslash or an open quote."""
    found, pending = [], ""
    for line in text.splitlines():
        line = line.split(" #")[0].rstrip()
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending = f"{pending} {line.strip()}".strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        try:
            shlex.split(pending)
        except ValueError:  # an open quote: the command goes on
            continue
        found += [part.strip() for part in pending.split("&&")]
        pending = ""
    return found


# What the skipped `genimg` lines would have written: later lines and
# blocks that read it are skipped too.
NOT_WRITTEN = set()
OUTPUT_OPTIONS = ("--out", "--export", "--to", ">")


def skip_reason(text):
    reason = listed_reason(text)
    if reason:
        return reason
    if MNIST in text and not SHARED.is_dir():
        return f"needs {MNIST}, absent here"
    for path in sorted(NOT_WRITTEN):
        if re.search(rf"(?<![\w/.]){re.escape(path)}(?![\w.])", text):
            return f"needs {path}, which a skipped line writes"
    return None


def listed_reason(text):
    """The reason SKIPPED gives for `text`, or None."""
    for start, reason in SKIPPED.items():
        if text.lstrip().startswith(start):
            return reason
    return None


def outputs(line):
    """The files and folders a `genimg` line writes."""
    words = shlex.split(line, comments=True)
    found = {
        words[i + 1]
        for i, word in enumerate(words[:-1])
        if word in OUTPUT_OPTIONS
    }
    if words[:2] == ["genimg", "train"] and "--out" not in words:
        found.add(f"runs/{words[2]}")
    if words[:3] == ["genimg", "judge", "train"] and "--out" not in words:
        found.add("judge.keras")
    return found


def run_genimg(line):
    """Runs a `genimg` line in this process, with its `> FILE` if any."""
    from keras_genimg.cli.main import main

    argv = shlex.split(line)[1:]
    out = None
    if ">" in argv:
        argv, out = argv[: argv.index(">")], argv[argv.index(">") + 1]
    with contextlib.ExitStack() as stack:
        if out:
            target = stack.enter_context(open(out, "w"))
            stack.enter_context(contextlib.redirect_stdout(target))
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
    assert status in (0, None), f"{line!r} exited with {status}"


def run_bash(text):
    """Runs a bash block; returns None, or why none of its lines ran."""
    reasons = []
    for line in commands(text):
        reason = skip_reason(line)
        if reason:
            reasons.append(reason)
            if not listed_reason(line):
                # Lines listed in SKIPPED run elsewhere or write nothing
                # the README reads later.
                NOT_WRITTEN.update(outputs(line))
        elif line.startswith("genimg "):
            run_genimg(line)
        else:
            subprocess.run(line, shell=True, check=True, timeout=300)
    return reasons[0] if len(reasons) == len(commands(text)) else None


def run_python(text, namespace):
    """Runs a python block; returns None, or why it did not run."""
    reason = skip_reason(text)
    if reason:
        return reason
    if "KERAS_BACKEND" in text:
        # Keras fixes its backend when first imported: a script of its own.
        subprocess.run([sys.executable, "-c", text], check=True, timeout=300)
    else:
        exec(compile(text, "README block", "exec"), namespace)
    return None


def tour(out):
    """Runs every block in `out/checkout`; returns and writes the outcomes:
    `{"README.md:9": {"status": "ran" | "skipped" | "failed", "detail":
    reason or traceback, "seconds": float}, ...}`."""
    out = Path(out)
    work = out / "checkout"
    work.mkdir(parents=True)
    if SHARED.is_dir():
        (out / "shared").symlink_to(SHARED)
    os.environ.update(LIMITS)
    # `genimg eval`'s reference cache, in the tour's folder rather than the
    # user's home (~/.cache/keras_genimg), where every run would add to it.
    from keras_genimg.metrics.reference import CACHE_ENV

    os.environ[CACHE_ENV] = str(out / REFERENCE_CACHE)
    os.chdir(work)
    outcomes, namespace = {}, {"__name__": "__main__"}
    for document in DOCUMENTS:
        for line, lang, text in blocks(document):
            start = time.perf_counter()
            try:
                if lang == "bash":
                    reason = run_bash(text)
                else:
                    reason = run_python(text, namespace)
                status, detail = ("skipped", reason) if reason else ("ran", "")
            except Exception:
                status, detail = "failed", traceback.format_exc()
            outcomes[f"{document}:{line}"] = {
                "status": status,
                "detail": detail,
                "seconds": round(time.perf_counter() - start, 1),
            }
    (out / "outcomes.json").write_text(json.dumps(outcomes, indent=1))
    return outcomes


if __name__ == "__main__":
    tour(sys.argv[1])
