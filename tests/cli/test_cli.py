"""Tests of the `genimg` command line."""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg.cli.main import main
from keras_genimg.models import DCGAN, VAE

TINY = [
    "--limit",
    "64",
    "--batch-size",
    "32",
    "--image-size",
    "16",
    "--verbose",
    "0",
]


@pytest.mark.slow
@pytest.mark.parametrize("name,model_class", [("vae", VAE), ("dcgan", DCGAN)])
def test_train_writes_grids_model_and_history(name, model_class, tmp_path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                name,
                "--epochs",
                "2",
                "--out",
                str(out),
                "--latent-dim",
                "6",
                *TINY,
            ]
        )
        == 0
    )
    samples = sorted(os.listdir(out / "samples"))
    expected = ["epoch_0001.png", "epoch_0002.png"]
    if name == "vae":
        expected += [f"reconstructions_{f}" for f in expected]
    assert samples == sorted(expected)
    with Image.open(out / "samples" / "epoch_0002.png") as png:
        assert png.size == (8 * 16 + 9, 8 * 16 + 9)  # 64 samples, 8x8
    with open(out / "history.json") as f:
        history = json.load(f)
    assert history["epoch"] == [1, 2]
    model = keras.models.load_model(out / "model.keras")
    assert type(model) is model_class
    assert model.image_shape == (16, 16, 1) and model.latent_dim == 6
    if name == "vae":
        # Its prior was fitted to the training images after every epoch.
        weights, _, _ = model.prior_parameters()
        assert len(weights) == 10 and not np.allclose(weights, 0.1)
    metric_names = {m.name for m in model.metrics}
    if name == "dcgan":
        # The GANs' samples are watched for mode collapse.
        metric_names.add("sample_diversity")
        assert all(0 < d < 3 for d in history["sample_diversity"])
    assert set(history) == metric_names | {"epoch"}
    assert all(np.isfinite(v).all() for v in history.values())


@pytest.mark.slow
def test_train_is_reproducible_for_a_seed(tmp_path):
    grids = []
    for run in ("a", "b"):
        out = tmp_path / run
        main(
            [
                "train",
                "vae",
                "--epochs",
                "1",
                "--out",
                str(out),
                "--seed",
                "3",
                *TINY,
            ]
        )
        with Image.open(out / "samples" / "epoch_0001.png") as png:
            grids.append(np.asarray(png))
    np.testing.assert_array_equal(grids[0], grids[1])


@pytest.mark.slow
def test_train_on_idx_directory(mnist_dir, tmp_path):
    out = tmp_path / "run"
    main(
        [
            "train",
            "vae",
            "--data",
            str(mnist_dir),
            "--epochs",
            "1",
            "--limit",
            "64",
            "--batch-size",
            "32",
            "--verbose",
            "0",
            "--out",
            str(out),
        ]
    )
    model = keras.models.load_model(out / "model.keras")
    assert model.image_shape == (28, 28, 1)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "vae", "--data", "no_such_source"], "Unknown source"),
        (["train", "vae", "--epochs", "0"], "must be a positive integer"),
        (["train", "stylegan"], "invalid choice"),
        (["train", "vae", "--image-size", "10", "--limit", "8"], "image_shape"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("genimg")


@pytest.mark.slow
def test_console_script_help():
    # The installed `genimg` runs; its errors are checked on a real
    # process in tests/bad_inputs/test_bad_inputs.py.
    genimg = shutil.which("genimg")
    command = (
        [genimg] if genimg else [sys.executable, "-m", "keras_genimg.cli.main"]
    )
    help_run = subprocess.run(
        command + ["train", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert help_run.returncode == 0
    assert "--data SOURCE" in help_run.stdout
    assert "--latent-dim" in help_run.stdout
    assert help_run.stderr == ""


@pytest.mark.skipif(not shutil.which("genimg"), reason="genimg not installed")
def test_help_and_version_answer_without_starting_keras():
    for argv in (["--help"], ["--version"], ["train", "--help"]):
        run = subprocess.run(
            [sys.executable, "-X", "importtime", shutil.which("genimg"), *argv],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        imported = {line.split("|")[-1].strip().split(".")[0]
                    for line in run.stderr.splitlines()[1:]}  # fmt: skip
        assert "keras_genimg" in imported
        assert not imported & {"keras", "tensorflow", "jax", "torch"}, argv


def test_train_help_lists_every_registry_model():
    from keras_genimg.cli.main import build_parser
    from keras_genimg.models import names

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    (model,) = [a for a in train._actions if a.dest == "model"]
    listed = model.help.split(": ")[1].replace(" or ", ", ").split(", ")
    assert sorted(listed) == sorted(names())


@pytest.mark.slow
def test_train_mixed_precision_and_xla_flags(tmp_path):
    out = tmp_path / "run"
    main(
        ["train", "dcgan", "--epochs", "1", "--out", str(out),
         "--mixed-precision", "bfloat16", "--jit-compile",
         "--steps-per-execution", "2", *TINY]
    )  # fmt: skip
    # The global policy is restored once the command is done.
    assert keras.mixed_precision.dtype_policy().name == "float32"
    model = keras.models.load_model(out / "model.keras")
    assert model.generator.layers[1].compute_dtype == "bfloat16"
    assert model.generate(num_images=2, seed=0).dtype == np.float32
    with open(out / "history.json") as f:
        assert np.isfinite(json.load(f)["g_loss"]).all()


def test_jit_compile_is_left_to_keras_unless_asked():
    from keras_genimg.cli.main import build_parser

    parser = build_parser()
    assert parser.parse_args(["train", "vae"]).jit_compile is None
    assert parser.parse_args(["train", "vae", "--jit-compile"]).jit_compile
    no_jit = parser.parse_args(["train", "vae", "--no-jit-compile"])
    assert no_jit.jit_compile is False


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("genimg"), reason="genimg not installed")
def test_a_backend_the_zoo_does_not_run_on_is_one_line():
    genimg = shutil.which("genimg")
    env = {**os.environ, "KERAS_BACKEND": "numpy"}

    # The three commands run side by side: each spends its time starting.
    started = [
        subprocess.Popen(
            [genimg, *argv],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in (
            ["info"],
            ["train", "dcgan", "--epochs", "1"],
            ["train", "--help"],
        )
    ]
    (info, train, help_) = [
        (*process.communicate(timeout=120), process.returncode)
        for process in started
    ]
    for _, stderr, returncode in (info, train):
        assert returncode == 2, stderr
        assert stderr.splitlines() == [
            "genimg: error: Keras is set to its 'numpy' backend "
            "(KERAS_BACKEND or ~/.keras/keras.json); genimg runs on jax, "
            "tensorflow or torch: pass --backend or set KERAS_BACKEND"
        ]
    # Help needs no backend.
    stdout, _, returncode = help_
    assert returncode == 0 and "--latent-dim" in stdout


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("genimg"), reason="genimg not installed")
def test_a_backend_whose_package_is_missing_is_one_line(tmp_path):
    # A torch that fails to import as a missing one does, first on the path.
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
    )
    paths = [str(tmp_path), os.environ.get("PYTHONPATH")]
    path = os.pathsep.join(filter(None, paths))
    result = subprocess.run(
        [shutil.which("genimg"), "--backend", "torch", "info"],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "genimg: error: Keras' torch backend needs the torch package, which "
        "is not installed (pip install -e '.[torch]' in the checkout; see "
        "the README's Backends section)"
    ]
