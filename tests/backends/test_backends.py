"""Every zoo model on every Keras backend: JAX, TensorFlow and PyTorch.

Keras picks its backend once per process, so `tests/backend_checks/
zoo_steps.py` runs once per backend in a process of its own and writes
what it saw; these tests compare it. The backend this suite runs on
(TensorFlow, unless `KERAS_GENIMG_TEST_BACKEND` says otherwise) is tested
by the rest of the suite: its process here only takes the step compared
across backends and saves the files the others open. A backend whose
package is not installed is skipped (`.ci/run` installs all three).
"""

import atexit
import concurrent.futures
import functools
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_genimg import models
from tests.backend_checks.convolutions import CONFIGS as CONVOLUTION_CONFIGS
from tests.backend_checks.zoo_steps import (
    BACKENDS,
    MODELS,
    SAME_STEP_MODELS,
    load_others,
)
from tests.background import run_niced

pytestmark = pytest.mark.slow

PACKAGES = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}
INSTALLED = [b for b in BACKENDS if importlib.util.find_spec(PACKAGES[b])]
# The backends the matrix trains, saves and resumes on: all but this one.
OTHERS = [b for b in BACKENDS if b != keras.backend.backend()]


def backend_env(backend, cache, base=None):
    """The environment of a process on `backend`.

    JAX gets two CPU devices (for the data-parallel check), a
    compilation cache, shared by the test's processes, so that the same
    step compiled for two models is compiled once, and XLA's quickest
    compiling (LLVM unoptimized: the checks' steps are tiny, and the
    compiler took two thirds of their time).
    """
    # `run_niced` gives them one thread each.
    env = dict(base or os.environ, KERAS_BACKEND=backend,
               TF_CPP_MIN_LOG_LEVEL="3")  # fmt: skip
    if backend == "jax":
        env.update(
            XLA_FLAGS="--xla_force_host_platform_device_count=2 "
            "--xla_cpu_multi_thread_eigen=false "
            "--xla_backend_optimization_level=0",
            JAX_COMPILATION_CACHE_DIR=str(cache),
            JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
            JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        )
    return env


def zoo_step_jobs(backends, load=False):
    """The zoo_steps processes to run: (backend, arguments) pairs.

    The JAX and PyTorch processes cannot import TensorFlow, as on a
    machine without it. JAX, whose compiler is the slowest, runs in two
    halves side by side, one of which checks data parallelism.
    """
    jobs = []
    for backend in backends:
        parts = ["first", "second"] if backend == "jax" and not load else [""]
        if backend == keras.backend.backend() and not load:
            parts = ["files"]
        for part in parts:
            args = ["--load"] if load else ["--part", part or "all"]
            if backend != "tensorflow":
                args.append("--without-tensorflow")
            jobs.append((backend, args))
    return jobs


def run_zoo_steps(out, backend, args, base_env=None):
    """Runs zoo_steps on `backend` (`run_niced`)."""
    env = backend_env(backend, out / "jax_cache", base_env)
    module_args = ["tests.backend_checks.zoo_steps", str(out), *args]
    result = run_niced(module_args, env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{backend}:\n{output[-3000:]}"


def train_on_jax_from_the_command_line(out, base_env=None):
    """`genimg train vae --backend jax --strategy data-parallel --export`
    (`run_niced`); returns `(return code, stderr)`.

    The run goes to `out/cli/run`, its export to `out/cli/saved_models`.
    """
    env = backend_env("jax", out / "jax_cache", base_env)
    env.pop("KERAS_BACKEND")  # the command line chooses
    run, exports = out / "cli" / "run", out / "cli" / "saved_models" / "vae"
    train = run_niced(
        ["keras_genimg.cli.main", "train", "vae", "--backend", "jax",
         "--strategy", "data-parallel", "--limit", "64", "--batch-size",
         "16", "--image-size", "16", "--latent-dim", "4", "--epochs", "1",
         "--verbose", "0", "--out", str(run), "--export", str(exports)],
        env,
    )  # fmt: skip
    return train.returncode, train.stderr


def run_on_backends(out, backends, load=False, base_env=None, extra=()):
    """Runs the callables in `extra`, then zoo_steps on every backend,
    two at a time; returns what the callables returned."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        extras = [pool.submit(job) for job in extra]
        futures = [
            pool.submit(run_zoo_steps, out, backend, args, base_env)
            for backend, args in zoo_step_jobs(backends, load)
        ]
        for future in futures:
            future.result()
        return [future.result() for future in extras]


# The backends' processes, started in the background by `start_runs`.
_RUNS = {}


def start_runs():
    """Starts the backends' processes in a thread of their own, once.

    `tests/conftest.py` calls it when these tests are collected and moves
    them to the end of the session, so that the processes train while the
    rest of the suite runs.

    Returns:
        The folder they write to.
    """
    if "done" not in _RUNS:
        out = Path(tempfile.mkdtemp(prefix="keras_genimg_backends_"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        _RUNS["out"] = out
        # The environment as it is now: tests change it while they run.
        _RUNS["done"] = pool.submit(_run_all, out, dict(os.environ))
        pool.shutdown(wait=False)
    return _RUNS["out"]


def _run_all(out, base_env):
    # The command line's JAX run is a job of its own: its compiler keeps
    # one core busy, and it would take that time alone at the end.
    extra = []
    if "jax" in INSTALLED:
        run = train_on_jax_from_the_command_line
        extra.append(functools.partial(run, out, base_env))
    _RUNS["cli"] = run_on_backends(out, INSTALLED, base_env=base_env,
                                   extra=extra)  # fmt: skip
    here = keras.backend.backend()
    others = [b for b in INSTALLED if b != here]
    if others:
        run_on_backends(out, others, load=True, base_env=base_env)


@pytest.fixture(scope="module")
def results():
    out = start_runs()
    _RUNS["done"].result()
    here = keras.backend.backend()
    if len(INSTALLED) > 1:
        # This process opens the other backends' files on its own.
        np.savez(out / here / "loaded.npz", **load_others(out, here))
    return out


def fit_reports(results, backend):
    """Everything a backend's processes wrote in their `fit-*.json`."""
    reports = {}
    for path in sorted((results / backend).glob("fit-*.json")):
        with open(path) as f:
            reports.update(json.load(f))
    return reports


def npz_files(results, backend, stem):
    """The arrays of a backend's `<stem>-*.npz` files, in one dict."""
    arrays = {}
    for path in sorted((results / backend).glob(f"{stem}-*.npz")):
        with np.load(path) as npz:
            arrays.update({k: npz[k] for k in npz.files})
    return arrays


def fit_report(results, backend, name):
    if backend not in INSTALLED:
        pytest.skip(f"{backend} is not installed")
    return fit_reports(results, backend)[name]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("backend", OTHERS)
def test_model_trains_saves_and_resumes(results, backend, name):
    report = fit_report(results, backend, name)
    steps = report["steps_per_epoch"]
    for values in report["logs"].values():
        assert len(values) == 2 and np.all(np.isfinite(values))
    if name in ("vae", "cvae"):
        assert report["logs"]["loss"][1] < report["logs"]["loss"][0]

    # Both optimizers' iterations advance with every step (the critic's
    # n_critic times per step); a JAX step that dropped the second
    # optimizer's state would leave its counter at 0.
    per_epoch = [steps, steps * 2] if name == "wgan_gp" else None
    per_epoch = per_epoch or [steps] * len(report["before"]["iterations"])
    assert report["before"]["iterations"] == [0] * len(per_epoch)
    assert report["after_one"]["iterations"] == per_epoch
    assert report["after_two"]["iterations"] == [2 * n for n in per_epoch]

    # The seed generator's state advances with every draw: a step that
    # drew the same noise every time would leave it where it started.
    seeds = [report[k]["seed"][1] for k in ("before", "after_one", "after_two")]
    assert seeds[0] < seeds[1] < seeds[2]
    assert seeds[2] - seeds[1] == seeds[1] - seeds[0]
    if name in ("dcgan", "cgan", "wgan_gp"):  # BatchNorm in the generator
        means = [report[k]["moving_mean_sum"]
                 for k in ("before", "after_one", "after_two")]  # fmt: skip
        assert means[0] != means[1] != means[2]

    assert report["generated_equal_after_reload"]
    assert report["optimizer_state_equal_after_reload"]
    # Resumed from the backup of epoch 1: two epochs left, and the
    # optimizers' state came back with the weights.
    assert report["resumed_epochs"] == 2
    assert report["resumed_iterations"] == [3 * n for n in per_epoch]


@pytest.mark.parametrize("backend", OTHERS)
def test_diffusion_loss_on_a_fixed_batch_goes_down(results, backend):
    report = fit_report(results, backend, "diffusion_loss")
    assert report["after"] < 0.7 * report["before"]


@pytest.mark.parametrize("backend", OTHERS)
def test_sampling_uses_the_current_weights(results, backend):
    # A compiled sampler (a jax.jit on JAX) must read the weights at each
    # call, not keep those it was first traced with.
    report = fit_report(results, backend, "sampling")
    assert len(report) == 3
    for path, outcome in report.items():
        assert outcome["changed"], path
        assert outcome["max_difference"] < 1e-4, (path, outcome)


@pytest.mark.parametrize("backend", OTHERS)
def test_gan_inversion_fits_a_generated_image(results, backend):
    report = fit_report(results, backend, "inversion")
    for loss, start in zip(report["loss"], report["start_loss"]):
        assert loss < 5e-3 and loss < 0.1 * start
    assert report["vae_prior_mode"] < 1e-4


@pytest.mark.parametrize("backend", OTHERS)
def test_mixed_precision_trains(results, backend):
    report = fit_report(results, backend, "mixed_precision")
    for policy, dtype in (("mixed_bfloat16", "bfloat16"),
                          ("mixed_float16", "float16")):  # fmt: skip
        assert report[policy] == {
            "finite": True,
            "compute_dtype": dtype,
            "generated_dtype": "float32",
        }


@pytest.mark.parametrize("name", SAME_STEP_MODELS)
def test_one_step_gives_the_same_numbers_on_every_backend(results, name):
    if len(INSTALLED) < 2:
        pytest.skip("needs two backends")
    steps = {b: npz_files(results, b, "step") for b in INSTALLED}
    reference, *others = INSTALLED
    keys = [k for k in steps[reference] if k.startswith(f"{name}/")]
    assert any("/log/" in k for k in keys) and any(
        "/weight/" in k for k in keys
    )
    for other in others:
        for key in keys:
            np.testing.assert_allclose(
                steps[other][key], steps[reference][key], rtol=1e-4,
                atol=1e-4, err_msg=f"{key}: {other} vs {reference}",
            )  # fmt: skip


@pytest.mark.parametrize("name", list(MODELS))
def test_keras_file_from_one_backend_generates_the_same_on_others(
    results, name
):
    if len(INSTALLED) < 2:
        pytest.skip("needs two backends")
    for backend in INSTALLED:
        loaded = np.load(results / backend / "loaded.npz")
        for origin in INSTALLED:
            if origin == backend:
                continue
            expected = npz_files(results, origin, "generated")[name]
            np.testing.assert_allclose(
                loaded[f"{origin}/{name}"], expected, atol=1e-4,
                err_msg=f"{name} saved on {origin}, opened on {backend}",
            )  # fmt: skip
            if name == "wgan_gp":
                # It trains on here, its optimizers' state carried over,
                # with this backend's own `jit_compile`.
                steps = loaded[f"{origin}/{name}/steps"]
                g, critic, g_after, critic_after, finite, same_jit = steps
                assert g > 0 and critic > 0, (origin, backend)
                n_critic = MODELS[name]["n_critic"]
                assert (g_after, critic_after) == (g + 1, critic + n_critic)
                assert finite and same_jit, (origin, backend, steps)


@pytest.mark.parametrize("backend", OTHERS)
def test_callbacks_latent_tools_metrics_and_plots_on_every_backend(
    results, backend
):
    report = fit_report(results, backend, "tools")
    assert report == {
        "loss_went_down": True,
        "sample_grids": 4,  # samples and reconstructions, 2 epochs
        "interpolation_shape": [5, 16, 16, 1],
        "frechet_distance": pytest.approx(8.0, abs=1e-6),
        "history_plot": True,
    }
    # Everything above ran without TensorFlow on JAX and PyTorch.
    imported = fit_report(results, backend, "tensorflow_imported")
    assert imported == (backend == "tensorflow")


@pytest.mark.parametrize("backend", OTHERS)
def test_a_failed_fit_leaves_the_model_usable(results, backend):
    # On JAX, Keras empties the variables for `fit` and `predict`; the
    # zoo's JAX trainer puts them back when a step fails (it reads Keras'
    # private `Variable._value`: this fails if Keras changes how it empties
    # them).
    report = fit_report(results, backend, "failed_fit")
    assert report == {
        "predict_raised": True,
        "generates_after_predict": True,
        "raised": True,
        "generates_the_same": True,
        "trained_after": 1,
    }


def test_keras_private_hook_of_the_tensorflow_trainer_is_there():
    # keras_genimg/models/backend/tensorflow.py overrides this private
    # method of Keras' TensorFlow trainer (see its comment there).
    import inspect

    import keras

    hook = getattr(keras.Model, "_maybe_symbolic_build", None)
    assert hook is not None, "Keras removed Trainer._maybe_symbolic_build"
    parameters = list(inspect.signature(hook).parameters)
    assert parameters == ["self", "iterator", "data_batch"], parameters


def test_data_parallel_step_on_two_devices_equals_one_device(results):
    report = fit_report(results, "jax", "data_parallel")
    for name in ("dcgan",):
        weights, logs, devices_one, devices_split = report[name]
        assert (devices_one, devices_split) == (1, 2)
        assert weights < 1e-5 and logs < 1e-4, (name, weights, logs)


def test_fast_convolutions_equal_keras_layers_on_jax(results):
    # The zoo's Conv2D and Conv2DTranspose take their kernel gradients on
    # JAX through a strided convolution: the same values as Keras' layers
    # (first and second order), with fewer input-dilated convolutions.
    report = fit_report(results, "jax", "convolutions")
    assert len(report) == len(CONVOLUTION_CONFIGS)
    for name, result in report.items():
        assert max(result["differences"]) < 1e-5, (name, result)
        assert result["second_order_scale"] > 0.1, (name, result)
        counts = result["input_dilated"]
        if name.endswith("stride_1"):
            assert counts == {"ours": [0, 0], "keras": [0, 0]}, name
        else:
            assert sum(counts["ours"]) < sum(counts["keras"]), (name, counts)


def test_convolutions_run_on_xla_own_code_on_jax_cpu(results):
    # Importing keras_genimg takes CPU convolutions off YNNPACK, which ran
    # the zoo's two to four times slower. On a jaxlib it was not measured
    # on, it leaves XLA_FLAGS alone and this fails: measure that jaxlib
    # (`benchmarks/backend_throughput.py`), then add it to
    # `xla_flags.MEASURED_JAXLIB`.
    report = fit_report(results, "jax", "xla_convolutions")
    assert report["flag_set"], report
    assert report["convolutions"] >= 1, report
    assert report["ynn_fusions"] == 0, report


def test_direct_convolutions_equal_keras_layers_on_torch(results):
    # On PyTorch they call torch without Keras' layout copies (or Keras'
    # ops where they cannot): the same values, first and second order.
    report = fit_report(results, "torch", "convolutions")
    assert len(report) == len(CONVOLUTION_CONFIGS)
    for name, result in report.items():
        assert max(result["differences"]) < 1e-5, (name, result)
        assert result["second_order_scale"] > 0.1, (name, result)


def test_fused_batch_norm_and_adam_equal_keras_on_torch(results):
    report = fit_report(results, "torch", "torch_kernels")
    tolerances = {"float32": 1e-5, "mixed_bfloat16": 1e-2}
    for dtype, result in report["batch_norm"].items():
        assert max(result["relative"]) < tolerances[dtype], (dtype, result)
        assert result["moved"] and result["kernel_calls"] == 1, dtype
    # Keras' Adam, computed by torch's fused kernel (Keras' own update for
    # AMSGrad): the same weights and slots after 5 steps.
    for name, result in report["adam"].items():
        assert result["difference"] < 1e-5, (name, result)
        assert result["moved"] > 0.01, (name, result)
        calls = 0 if name == "amsgrad" else 5
        assert result["kernel_calls"] == calls, (name, result)
    assert report["compiled_step_difference"] < 1e-6


def test_networks_called_layer_by_layer_equal_keras_on_torch(results):
    # On PyTorch the zoo's networks call their layers' `call` directly:
    # every network of every zoo model, in training and inference mode,
    # gives what Keras gives running the same layers.
    # The unconditional GANs' (spectral norm included) and the VAE's
    # networks are made only of layers torch computes directly, and skip
    # Keras' `__call__` entirely.
    report = fit_report(results, "torch", "torch_kernels")["direct_calls"]
    assert len(report) >= 2 * 2 * len(models.names()), sorted(report)
    for key, result in report.items():
        assert result["direct"], key
        assert result["difference"] < 1e-6, (key, result)
        assert result["state_difference"] < 1e-6, (key, result)
    for key, result in report.items():
        if key.split("/")[0] in ("dcgan", "sngan", "wgan_gp", "vae"):
            assert result["whole"], key


def test_docstring_examples_run_on_torch_without_tensorflow(results):
    # The examples of `models`, `metrics`, `latent`, `plots` and
    # `callbacks`, in a process that cannot import TensorFlow: all but the
    # TensorBoard callback's module (and TensorFlow's plumbing) import,
    # and every example runs.
    from tests.docs.examples import WITHOUT_TENSORFLOW, modules_with_examples

    report = fit_report(results, "torch", "examples")
    here = modules_with_examples(WITHOUT_TENSORFLOW)
    assert set(here) - set(report) == {
        "keras_genimg.callbacks.tensorboard_grid",
        "keras_genimg.models.backend.tensorflow",
    }, sorted(report)
    assert "keras_genimg.models.backend.torch_layers" in report
    for name, (failed, attempted) in report.items():
        assert attempted > 0 and failed == 0, (name, failed, attempted)


def test_gradient_penalty_runs_only_the_convolutions_it_needs_on_torch(
    results,
):
    # The same penalty and weight gradients as torch's own second-order
    # autograd, with per convolution one forward pass, one input gradient,
    # one kernel gradient (torch's kernel-gradient kernel, not torch's
    # double backward, which convolves with batch and channels swapped)
    # and one gradient w.r.t. the output gradient; and no backward pass on
    # the zeros of torch's leaky ReLU.
    report = fit_report(results, "torch", "torch_kernels")["gradient_penalty"]
    assert report["difference"] < 1e-5, report
    assert report["score_is_a_value"], report
    convolutions, ours, theirs = (
        report["convolutions"], report["ops"]["ours"], report["ops"]["torch"]
    )  # fmt: skip
    assert convolutions >= 2, report
    assert ours["aten::convolution_backward"] == 2 * convolutions, report
    assert ours["aten::mkldnn_convolution"] == 2 * convolutions, report
    assert "aten::_convolution_double_backward" not in ours, report
    assert theirs["aten::_convolution_double_backward"] == convolutions


def test_cli_trains_on_jax_over_two_devices_and_exports(results):
    # `train_on_jax_from_the_command_line`, run with the backends' processes.
    if "jax" not in INSTALLED:
        pytest.skip("jax is not installed")
    ((returncode, stderr),) = _RUNS["cli"]
    assert returncode == 0, stderr[-3000:]
    run = results / "cli" / "run"
    with open(run / "config.json") as f:
        config = json.load(f)
    assert config["backend"] == "jax" and config["strategy"] == "data-parallel"
    assert (run / "model.keras").is_file()
    # Exported on TensorFlow from the file trained on JAX.
    exports = results / "cli" / "saved_models" / "vae"
    assert (exports / "1" / "saved_model.pb").is_file()


def test_info_prints_the_backend_its_devices_and_versions(capsys):
    from keras_genimg.cli.main import main

    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "backend: tensorflow" in lines
    assert any(line.startswith("devices: ") and "cpu" in line.lower()
               for line in lines)  # fmt: skip
    assert any(line.startswith("keras: 3.") for line in lines)
