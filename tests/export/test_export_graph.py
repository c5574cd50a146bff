"""Exports checked the way TF Serving loads them, in fresh processes.

One process runs `serving_checks/check_saved_model.py` on every export with
Keras and keras_genimg hidden; `saved_model_cli` runs beside it. All start
together and are read once per module.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.serving_checks import zoo

# Every test here trains or starts processes: deselect with -m "not slow".
pytestmark = pytest.mark.slow

CHECKS = Path(__file__).resolve().parents[1] / "serving_checks"
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")


def _start(command, tmp):
    stdout = open(tmp / f"{len(os.listdir(tmp))}.out", "w+")
    process = subprocess.Popen(
        command, stdout=stdout, stderr=subprocess.STDOUT, env=ENV, text=True
    )
    return process, stdout


def _finish(started, timeout=240):
    process, stdout = started
    process.wait(timeout=timeout)
    stdout.seek(0)
    text = stdout.read()
    stdout.close()
    return process.returncode, text


@pytest.fixture(scope="module")
def graph_checks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("graph_checks")
    logs = tmp_path_factory.mktemp("logs")
    crash_dir = tmp_path_factory.mktemp("crash") / "dcgan"
    # Needs no export: starts first, while this process exports.
    started = {
        "crash": _start(
            [sys.executable, str(CHECKS / "crash_mid_export.py"), crash_dir],
            logs,
        )
    }
    exported = zoo.exported()
    started["check"] = _start(
        [sys.executable, str(CHECKS / "check_saved_model.py"), str(tmp)]
        + [f"{name}={path}" for name, path in exported.paths.items()],
        logs,
    )
    cli = shutil.which("saved_model_cli")
    z = np.random.default_rng(3).standard_normal((2, zoo.LATENT_DIM))
    z = z.astype("float32")
    if cli:
        for name, path in exported.paths.items():
            started[f"show/{name}"] = _start(
                [cli, "show", "--all", "--dir", path], logs
            )
        started["run/vae"] = _start(
            [cli, "run", "--dir", exported.paths["vae"], "--tag_set", "serve"]
            + ["--signature_def", "serving_default"]
            + ["--input_exprs", f"z={z.tolist()}"]
            + ["--outdir", str(tmp / "cli_run")],
            logs,
        )
    results = {key: _finish(value) for key, value in started.items()}
    crash = results.pop("crash")
    returncode, text = results.pop("check")
    assert returncode == 0, text
    with open(tmp / "report.json") as f:
        report = json.load(f)
    arrays = {
        name: dict(np.load(tmp / f"{name}.npz")) for name in exported.paths
    }
    return dict(
        exported=exported,
        report=report,
        arrays=arrays,
        cli=results,
        cli_z=z,
        crash=(crash_dir, crash),
        tmp=tmp,
    )


def test_the_check_process_never_imported_keras(graph_checks):
    assert graph_checks["report"]["modules"] == []


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_signature_defs_match_the_golden_table(graph_checks, name):
    found = graph_checks["report"]["models"][name]
    assert found["tags"] == ["serve"]
    table = {
        signature: {
            "method": entry["method"],
            "inputs": {
                k: (d, tuple(s)) for k, (d, s) in entry["inputs"].items()
            },
            "outputs": {
                k: (d, tuple(s)) for k, (d, s) in entry["outputs"].items()
            },
        }
        for signature, entry in found["table"].items()
    }
    assert table == zoo.GOLDEN[name]


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_graph_session_outputs_match_keras(graph_checks, name):
    model = graph_checks["exported"].models[name]
    arrays = graph_checks["arrays"][name]
    checked = set()
    for signature in zoo.GOLDEN[name]:
        for batch_size in (1, 3):
            prefix = f"{signature}/{batch_size}"
            inputs = _pick(arrays, f"{prefix}/in/")
            outputs = _pick(arrays, f"{prefix}/out/")
            expected = zoo.keras_outputs(model, signature, inputs)
            assert sorted(outputs) == sorted(expected)
            for key, value in outputs.items():
                assert value.dtype == np.float32
                assert value.shape[0] == batch_size
                np.testing.assert_allclose(
                    value, expected[key], rtol=1e-4, atol=1e-5
                )
            checked.add(signature)
    assert checked == set(zoo.GOLDEN[name])


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_every_warmup_record_replays(graph_checks, name):
    model = graph_checks["exported"].models[name]
    arrays = graph_checks["arrays"][name]
    warmup = graph_checks["report"]["models"][name]["warmup"]
    assert sorted(warmup) == sorted(zoo.GOLDEN[name])
    for index, signature in enumerate(warmup):
        inputs = _pick(arrays, f"warmup/{index}/in/")
        outputs = _pick(arrays, f"warmup/{index}/out/")
        expected = zoo.keras_outputs(model, signature, inputs)
        for key, value in outputs.items():
            np.testing.assert_allclose(
                value, expected[key], rtol=1e-4, atol=1e-5
            )


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_bad_shapes_fail_in_the_graph_with_a_clear_message(graph_checks, name):
    errors = graph_checks["report"]["models"][name]["errors"]
    shape = f"({', '.join(['batch', *map(str, zoo.SHAPE)])})"
    *z_shape, width = zoo.GOLDEN[name]["serving_default"]["inputs"]["z"][1][1:]
    z_text = ", ".join(map(str, [*z_shape, width]))
    assert f"Input z must have shape (batch, {z_text})" in errors["z_width"]
    wider = " ".join(map(str, [2, *z_shape, width + 1]))
    assert f"[{wider}]" in errors["z_width"]
    assert f"Input z must have shape (batch, {z_text})" in errors["z_rank"]
    if name == "vae":
        assert f"Input images must have shape {shape}" in errors["image_size"]
        assert "[2 8 8 1]" in errors["image_size"]


@pytest.mark.parametrize("name", sorted(zoo.GOLDEN))
def test_saved_model_cli_shows_every_signature(graph_checks, name):
    if f"show/{name}" not in graph_checks["cli"]:
        pytest.skip("saved_model_cli is not on PATH")
    returncode, text = graph_checks["cli"][f"show/{name}"]
    assert returncode == 0, text
    assert "Traceback" not in text
    for signature, entry in zoo.GOLDEN[name].items():
        assert f"signature_def['{signature}']" in text
        for key in entry["inputs"]:
            assert f"inputs['{key}'] tensor_info" in text
    assert "DT_HALF" not in text and "DT_BFLOAT16" not in text


def test_saved_model_cli_runs_serving_default(graph_checks):
    if "run/vae" not in graph_checks["cli"]:
        pytest.skip("saved_model_cli is not on PATH")
    returncode, text = graph_checks["cli"]["run/vae"]
    assert returncode == 0, text
    images = np.load(graph_checks["tmp"] / "cli_run" / "images.npy")
    model = graph_checks["exported"].models["vae"]
    expected = model.generate(z=graph_checks["cli_z"])
    np.testing.assert_allclose(images, expected, rtol=1e-4, atol=1e-5)


def test_a_killed_exporter_leaves_no_version_behind(graph_checks):
    from keras_genimg.export import find_exported_models
    from keras_genimg.export.versions import version_dirs

    crash_dir, (returncode, text) = graph_checks["crash"]
    assert returncode == 3, text
    (leftover,) = os.listdir(crash_dir)
    assert leftover.startswith(".tmp-export-")
    assert os.path.isfile(crash_dir / leftover / "saved_model.pb")
    assert version_dirs(crash_dir) == {}
    assert find_exported_models(crash_dir.parent) == {}


def _pick(arrays, prefix):
    return {
        key[len(prefix) :]: value
        for key, value in arrays.items()
        if key.startswith(prefix)
    }
