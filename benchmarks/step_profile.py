"""Where a training step's time goes: oneDNN's kernels, by kind.

Runs one variant of `train_throughput.py` (ours or the tutorial loop) per
process with `ONEDNN_VERBOSE=1`, which makes oneDNN, the library
TensorFlow runs convolutions and matrix products with on x86 CPUs, print
every kernel it executes and how long it took. After warm-up, the timed
steps' kernels are summed by kind (convolution forward, backward with
respect to the data, backward with respect to the weights, matrix
products, fused batch norm, layout and dtype reorders) and set against
the step's wall-clock time; the rest is TensorFlow's own ops
(activations, losses, the optimizer, metrics) and overhead. Convolutions
also get their arithmetic rate, from the problem sizes oneDNN prints.

The workers run one op at a time (one inter-op thread), so that the
kernels' times add up to the step's; in normal training TensorFlow runs
independent ops side by side and a step takes less.

    python benchmarks/step_profile.py [--models dcgan vae] [--steps 32]
"""

import argparse
import collections
import ctypes
import os
import re
import subprocess
import sys
import time

import tensorflow as tf
import train_throughput

# Labels of `train_throughput`'s runners.
VARIANTS = [
    train_throughput.TUTORIAL,
    train_throughput.BASELINE,
    "ours, mixed_bfloat16",
]
CONV_PASSES = {
    "forward_training": "conv forward",
    "forward_inference": "conv forward",
    "backward_data": "conv backward (data)",
    "backward_weights": "conv backward (weights)",
}
KINDS = [
    "conv forward",
    "conv backward (data)",
    "conv backward (weights)",
    "matrix products",
    "batch norm",
    "reorders",
    "other oneDNN",
]
START, END = "== timed steps start", "== timed steps end"
KERNEL_RUN = ["onednn_verbose", "v1", "primitive", "exec"]


def flush_c_stdout():
    # oneDNN prints with C stdio, which buffers apart from Python's stdout.
    ctypes.CDLL(None).fflush(None)


def serve(name, label, warmup, steps):
    """Worker: warms up, then runs `steps` steps between two marker lines."""
    tf.config.threading.set_inter_op_parallelism_threads(1)
    runner = train_throughput.build_runner(name, label)
    runner.run(warmup)
    flush_c_stdout()
    print(START, flush=True)
    start = time.perf_counter()
    runner.run(steps)
    seconds = time.perf_counter() - start
    flush_c_stdout()
    print(f"{END} {seconds}", flush=True)


def conv_flops(problem):
    """Multiply-adds x 2 of a convolution from oneDNN's problem string."""
    sizes = {k: int(v) for k, v in re.findall(r"([a-z]+)(\d+)", problem)}
    # `ic` and `oc` count all groups; each output sees `ic / g` inputs.
    inputs_per_output = sizes["ic"] // sizes.get("g", 1)
    out = sizes["oh"] * sizes["ow"]
    kernel = sizes["kh"] * sizes["kw"]
    return 2 * sizes["mb"] * inputs_per_output * sizes["oc"] * out * kernel


def kind_of(primitive, prop_kind):
    if primitive == "convolution":
        return CONV_PASSES.get(prop_kind, "other oneDNN")
    if primitive in ("matmul", "gemm_api", "inner_product"):
        return "matrix products"
    if primitive == "batch_normalization":
        return "batch norm"
    if primitive == "reorder":
        return "reorders"
    return "other oneDNN"


def profile(name, label, warmup, steps):
    """Runs a worker; returns `summarize` of what it printed."""
    process = subprocess.run(
        [sys.executable, __file__, "--worker", name, label]
        + ["--warmup", str(warmup), "--steps", str(steps)],
        env={**os.environ, "ONEDNN_VERBOSE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    return summarize(process.stdout.splitlines(), steps)


def summarize(lines, steps):
    """Sums the kernels oneDNN ran between the markers, per step.

    Args:
        lines: the worker's output lines.
        steps: number of timed steps.

    Returns:
        `(step seconds, {kind: (kernel seconds, convolution FLOPs)})`,
        both per step.
    """
    totals = collections.defaultdict(lambda: [0.0, 0])
    timed = False
    for line in lines:
        if line.startswith(END):
            wall = float(line.split()[-1])
            break
        timed = timed or line.startswith(START)
        # onednn_verbose,v1,primitive,exec,cpu,KIND,IMPL,PROP,...,PROBLEM,MS
        # (the graph API's lines have another layout)
        fields = line.split(",")
        if timed and fields[:4] == KERNEL_RUN:
            kind = kind_of(fields[5], fields[7])
            totals[kind][0] += float(fields[-1]) / 1000
            if kind.startswith("conv"):
                totals[kind][1] += conv_flops(fields[-2])
    else:
        raise RuntimeError("the worker printed no timed steps")
    per_step = {k: (s / steps, f / steps) for k, (s, f) in totals.items()}
    return wall / steps, per_step


def report(name, label, step_seconds, kinds):
    print(
        f"\n{name}, {label}: {step_seconds * 1000:.1f} ms per step "
        "(one op at a time)"
    )
    print(f"  {'kernels':26} {'ms/step':>8} {'share':>6} {'GFLOP/s':>8}")
    in_onednn = 0.0
    for kind in KINDS:
        seconds, flops = kinds.get(kind, (0.0, 0))
        in_onednn += seconds
        rate = f"{flops / seconds / 1e9:8.0f}" if flops else f"{'':8}"
        print(
            f"  {kind:26} {seconds * 1000:8.2f} "
            f"{seconds / step_seconds:6.0%} {rate}"
        )
    rest = step_seconds - in_onednn
    print(
        f"  {'TensorFlow ops, overhead':26} {rest * 1000:8.2f} "
        f"{rest / step_seconds:6.0%}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=train_throughput.TUTORIAL_MODELS,
        default=list(train_throughput.TUTORIAL_MODELS),
    )
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=16)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(*args.worker, args.warmup, args.steps)
        return
    print(
        f"{train_throughput.cpu_name()}, {os.cpu_count()} cores; "
        f"{args.steps} steps after {args.warmup} warm-up steps"
    )
    for name in args.models:
        for label in VARIANTS:
            report(name, label, *profile(name, label, args.warmup, args.steps))


if __name__ == "__main__":
    main()
