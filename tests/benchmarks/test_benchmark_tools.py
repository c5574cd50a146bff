"""The arithmetic of the benchmark scripts, on canned input."""

import argparse
import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
step_profile = pytest.importorskip("step_profile")

CONV = (
    "onednn_verbose,v1,primitive,exec,cpu,convolution,"
    "brg_conv_fwd:avx512_core,{prop},src:f32::blocked:acdb::f0 "
    "wei:f32:a:blocked:Adcb16a::f0,attr-scratchpad:user,"
    "alg:convolution_direct,mb32_ic64oc128_ih14oh7kh4sh2dh0ph1_"
    "iw14ow7kw4sw2dw0pw1,{ms}"
)
REORDER = (
    "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,"
    "src:f32::blocked:cdba::f0 dst:f32::blocked:Adcb16a::f0,,,128x64x4x4,{ms}"
)


def test_conv_flops_counts_two_per_multiply_add():
    problem = "mb32_ic64oc128_ih14oh7kh4sh2dh0ph1_iw14ow7kw4sw2dw0pw1"
    assert step_profile.conv_flops(problem) == 2 * 32 * 64 * 128 * 7 * 7 * 16


def test_conv_flops_of_a_grouped_convolution():
    problem = "g2mb1_ic4oc6_ih3oh3kh1sh1dh0ph0_iw3ow3kw1sw1dw0pw0"
    assert step_profile.conv_flops(problem) == 2 * 1 * (4 // 2) * 6 * 9


def test_summarize_sums_timed_kernels_per_step_by_kind():
    lines = [
        CONV.format(prop="forward_training", ms=100.0),  # warm-up: ignored
        step_profile.START,
        CONV.format(prop="forward_training", ms=2.0),
        CONV.format(prop="backward_weights", ms=3.0),
        CONV.format(prop="forward_training", ms=4.0),
        REORDER.format(ms=0.5),
        "onednn_verbose,v1,primitive,exec,cpu,batch_normalization,"
        "bnorm_jit:avx512_core,forward_training,,,,mb32ic64ih14iw14,1.0",
        "onednn_verbose,v1,primitive,create:cache_hit,cpu,reorder,,,,,,1.0",
        "onednn_verbose,v1,graph,exec,cpu,100002,sdp,,,,,,9.0",
        f"{step_profile.END} 0.02",
        CONV.format(prop="backward_data", ms=100.0),  # after: ignored
    ]
    step_seconds, kinds = step_profile.summarize(lines, steps=2)
    flops = 2 * 32 * 64 * 128 * 7 * 7 * 16
    assert step_seconds == pytest.approx(0.01)
    assert kinds["conv forward"] == (pytest.approx(0.003), flops)
    assert kinds["conv backward (weights)"] == (
        pytest.approx(0.0015),
        flops / 2,
    )
    assert kinds["reorders"] == (pytest.approx(0.00025), 0)
    assert kinds["batch norm"] == (pytest.approx(0.0005), 0)
    assert "conv backward (data)" not in kinds


def test_summarize_without_end_marker_raises():
    with pytest.raises(RuntimeError, match="no timed steps"):
        step_profile.summarize([step_profile.START], steps=1)


# === The benchmark commands the documents print ===

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS_WITH_BENCHMARKS = ("benchmarks/RESULTS.md", "README.md")


def printed_benchmark_commands():
    """Every inline `python benchmarks/...` command of the documents,
    with its line breaks undone."""
    found = []
    for document in DOCUMENTS_WITH_BENCHMARKS:
        text = (ROOT / document).read_text()
        for span in re.findall(r"`(python\s+benchmarks/\w+\.py[^`]*)`", text):
            found.append(pytest.param(" ".join(span.split()), id=span[:60]))
    return found


class _Parsed(Exception):
    """Raised once a benchmark has parsed its arguments."""


@pytest.mark.parametrize("command", printed_benchmark_commands())
def test_printed_benchmark_commands_parse_as_printed(command, monkeypatch):
    """The benchmarks run for minutes to hours, so the tests do not run
    them; they run each printed command up to its argument parsing (a
    renamed or removed option fails here)."""
    script, *args = shlex.split(command)[1:]
    assert (ROOT / script).is_file(), script
    if "ArgumentParser" not in (ROOT / script).read_text():
        assert args == [], f"{script} takes no arguments"
        return
    parse_args = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        parse_args(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", [script, *args])
    module = runpy.run_path(str(ROOT / script), run_name="benchmark")
    with pytest.raises(_Parsed):
        module["main"]()


# === time_to_quality ===


def _time_to_quality():
    pytest.importorskip("tensorflow")
    return runpy.run_path(
        str(ROOT / "benchmarks" / "time_to_quality.py"), run_name="benchmark"
    )


def test_time_to_is_the_first_look_at_or_under_the_threshold():
    time_to = _time_to_quality()["time_to"]
    curve = [[10.0, 30.0, None, None], [20.0, 9.5, None, None],
             [30.0, 12.0, None, None], [40.0, 6.0, None, None]]  # fmt: skip
    assert time_to(curve, 10.0) == 20.0
    assert time_to(curve, 9.5) == 20.0
    assert time_to(curve, 7.0) == 40.0
    assert time_to(curve, 5.0) is None


def test_contestants_may_be_zoo_models_with_other_options():
    module = _time_to_quality()
    contestant = module["contestant_of"]("cvae:batch_size=16,beta=1.5")
    assert contestant.model_name == "cvae" and contestant.batch_size == 16
    assert contestant.options == {"beta": 1.5}
    assert module["contestant_spec"]("sngan_1k") == "sngan_1k"
    for bad in ("vae:beta=oops", "gan:beta=1", "vae:beta"):
        with pytest.raises(argparse.ArgumentTypeError, match="MODEL:KEY"):
            module["contestant_spec"](bad)


def test_a_contestant_s_options_override_the_registry_defaults():
    import numpy as np

    contestant = _time_to_quality()["contestant_of"](
        "vae:latent_dim=3,filters=8,batch_size=4"
    )
    images = np.random.default_rng(0).random((8, 16, 16, 1), "float32")
    contestant.start(images, np.zeros(8, "int32"))
    assert contestant.model.latent_dim == 3 and contestant.model.filters == 8
    assert [len(batch) for batch in contestant.dataset] == [4, 4]
    assert contestant.num_images == 8


def test_a_gan_contestant_takes_two_learning_rates():
    import numpy as np

    contestant = _time_to_quality()["contestant_of"](
        "dcgan:filters=8,learning_rate=1e-4,d_learning_rate=4e-4"
    )
    images = np.random.default_rng(0).random((8, 16, 16, 1), "float32")
    contestant.start(images, np.zeros(8, "int32"))
    model = contestant.model
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(model.adversary_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(model.optimizer.beta_1) == 0.5  # the rest as by default


# === backend_throughput --task convolutions ===


def test_convolution_layers_are_the_trained_networks_convolutions():
    import keras

    from keras_genimg import models

    backend_throughput = pytest.importorskip("backend_throughput")
    model = models.get("dcgan", image_shape=(16, 16, 1), latent_dim=8, seed=0)
    trained = [
        layer
        for network in (model.generator, model.discriminator)
        for layer in network.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)
    ]
    found = backend_throughput.convolution_layers(model)
    assert [id(layer) for layer in found] == [id(layer) for layer in trained]
    # The generator's weight average holds copies that are not trained.
    assert len(trained) < sum(
        isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)
        for network in model.layers
        for layer in getattr(network, "layers", [])
    )


def test_convolution_gradients_are_those_of_half_the_squared_output():
    import keras
    import numpy as np

    from keras_genimg.models import Conv2D

    backend_throughput = pytest.importorskip("backend_throughput")
    rng = np.random.default_rng(0)
    inputs = keras.Input((3, 3, 2))
    layer = Conv2D(4, 1, use_bias=False)
    keras.Model(inputs, layer(inputs))
    kernel = rng.normal(size=(1, 1, 2, 4)).astype("float32")
    batch = rng.normal(size=(5, 3, 3, 2)).astype("float32")
    gradients = backend_throughput.convolution_gradients(layer)(
        [keras.ops.convert_to_tensor(kernel)],
        keras.ops.convert_to_tensor(batch),
    )
    kernel_grad, batch_grad = map(keras.ops.convert_to_numpy, gradients)
    # A 1x1 convolution is a matrix product: y = x K, so dL/dK = x^T y and
    # dL/dx = y K^T for L = |y|^2 / 2.
    x = batch.reshape(-1, 2)
    y = x @ kernel.reshape(2, 4)
    np.testing.assert_allclose(
        kernel_grad.reshape(2, 4), x.T @ y, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        batch_grad.reshape(-1, 2),
        y @ kernel.reshape(2, 4).T,
        rtol=1e-5,
        atol=1e-5,
    )
