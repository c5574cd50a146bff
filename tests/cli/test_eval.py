"""Tests of the `genimg judge`, `eval`, `plot` and `animate` commands."""

import json
import shutil

import keras
import numpy as np
import pytest
from PIL import Image

from keras_genimg.callbacks import save_image_grid
from keras_genimg.cli.main import main
from keras_genimg.metrics import build_judge

SHAPE = (16, 16, 1)
KID = ["--kid-subsets", "3", "--kid-subset-size", "20"]
REPORT_KEYS = {
    "metrics",
    "frechet_name",
    "coverage",
    "settings",
    "model",
    "real_images",
    "data",
    "features",
    "image_shape",
    "num_generated",
    "seed",
    "reference_from_cache",
    "seconds",
}
METRIC_KEYS = {
    "fid",
    "kid",
    "kid_std",
    "is",
    "is_std",
    "precision",
    "recall",
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, zoo_model):
    """A run folder as `genimg train` leaves it, with an untrained VAE."""
    run = tmp_path_factory.mktemp("run")
    zoo_model("vae").save(run / "model.keras")
    (run / "history.json").write_text(
        json.dumps({"epoch": [1, 2], "loss": [3.0, 2.0], "kl_loss": [1, 2]})
    )
    (run / "config.json").write_text(
        json.dumps({"data": "shapes", "split": "train"})
    )
    for epoch in (1, 2):
        images = np.full((4,) + SHAPE, epoch / 2, "float32")
        save_image_grid(run / "samples" / f"epoch_{epoch:04d}.png", images)
    return run


@pytest.fixture(scope="module")
def judge_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("judge") / "judge.keras"
    build_judge(SHAPE, num_classes=5, filters=4).save(path)
    return str(path)


def eval_args(judge_path, cache_dir, *extra):
    return [
        "eval",
        *extra,
        "--data",
        "shapes",
        "--data-range",
        "0:40",
        "--features",
        judge_path,
        "--cache-dir",
        str(cache_dir),
        *KID,
    ]


@pytest.mark.slow
def test_judge_train_command(tmp_path, capsys):
    out = tmp_path / "judge.keras"
    args = ["judge", "train", "--data", "shapes", "--limit", "50"]
    args += ["--image-size", "16", "--epochs", "1", "--out", str(out)]
    assert main(args + ["--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    assert "accuracy on the 10 held-out images 40:50" in printed
    judge = keras.models.load_model(out)
    assert judge.output.shape == (None, 5)  # the five shape classes
    trained_on = json.loads((tmp_path / "judge.keras.json").read_text())
    assert trained_on == {
        "source": "shapes",
        "split": "train",
        "image_shape": [16, 16, 1],
        "num_classes": 5,
    }


def test_eval_says_when_the_judge_learned_other_data_and_what_it_replaces(
    run_dir, judge_path, tmp_path, capsys
):
    judge = tmp_path / "mnist_judge.keras"
    shutil.copy(judge_path, judge)
    (tmp_path / "mnist_judge.keras.json").write_text(json.dumps(
        {"source": "mnist", "split": "train", "image_shape": [28, 28, 1],
         "num_classes": 10}
    ))  # fmt: skip
    out = tmp_path / "eval.json"
    args = eval_args(str(judge), tmp_path, str(run_dir), "--out", str(out))
    assert main([*args, "--num", "20"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "genimg eval: warning: the judge learned 'mnist', not 'shapes': its "
        "features may not suit these images (train one with `genimg judge "
        "train --data` on them)."
    ]
    assert "Replacing" not in captured.out
    assert main([*args, "--num", "20"]) == 0
    assert "Replacing" not in capsys.readouterr().out
    assert main([*args, "--num", "24"]) == 0
    assert (
        f"Replacing {out}, which held the results of another configuration "
        "(num_generated: 20)." in capsys.readouterr().out
    )


def test_eval_writes_every_field_and_reuses_the_cache(
    run_dir, judge_path, tmp_path, capsys
):
    args = eval_args(judge_path, tmp_path, str(run_dir), "--num", "30")
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "FCD (judge features)" in printed and "class balance" in printed
    with open(run_dir / "eval.json") as f:
        report = json.load(f)
    assert set(report) == REPORT_KEYS
    assert set(report["metrics"]) == METRIC_KEYS
    assert all(isinstance(report["metrics"][key], float) for key in METRIC_KEYS)
    assert report["num_generated"] == 30
    assert report["image_shape"] == [16, 16, 1]
    assert report["data"]["range"] == [0, 40, 1]
    assert report["data"]["num_images"] == 40 and report["data"]["labels"]
    assert report["features"]["kind"] == "judge"
    assert len(report["coverage"]["per_class"]) == 5
    assert report["settings"]["num_reference"] == 40
    assert not report["reference_from_cache"]

    out = tmp_path / "again.json"
    assert main(args + ["--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["reference_from_cache"]
    assert again["metrics"] == report["metrics"]


def test_library_evaluate_of_a_model_object_equals_the_command(
    run_dir, judge_path, tmp_path
):
    from keras_genimg.export import open_generator
    from keras_genimg.metrics import evaluate

    out = tmp_path / "eval.json"
    args = eval_args(judge_path, tmp_path, str(run_dir), "--num", "20")
    assert main(args + ["--out", str(out)]) == 0
    command = json.loads(out.read_text())
    with open_generator(str(run_dir)) as generator:
        report = evaluate(
            generator, "shapes", data_range=(0, 40, 1), features=judge_path,
            num_images=20, kid_subsets=3, kid_subset_size=20,
            cache_dir=tmp_path, verbose=0,
        )  # fmt: skip
    assert set(report) == REPORT_KEYS - {"model"}
    assert report["reference_from_cache"]  # the command's, same key
    assert report["metrics"] == command["metrics"]
    assert report["data"] == command["data"]
    with pytest.raises(ValueError, match="either a model or `real_images`"):
        evaluate(None, "shapes", features=judge_path)


def test_evaluate_draws_a_conditional_models_classes_in_turn(
    judge_path, tmp_path
):
    # 3 classes do not divide the 500 images drawn at a time.
    from keras_genimg.export import Generator
    from keras_genimg.metrics import evaluate

    asked = []

    def sample(seeds, labels):
        asked.append((np.asarray(seeds), np.asarray(labels)))
        return np.full((len(seeds), *SHAPE), 0.5, "float32")

    evaluate(
        Generator(sample, SHAPE, num_classes=3), "shapes",
        data_range=(0, 40, 1), features=judge_path, num_images=1100, seed=7,
        kid_subsets=3, kid_subset_size=20, cache_dir=tmp_path, verbose=0,
    )  # fmt: skip
    seeds, labels = map(np.concatenate, zip(*asked))
    assert len(asked) > 2
    np.testing.assert_array_equal(seeds, np.arange(7, 1107))
    np.testing.assert_array_equal(labels, np.arange(1100) % 3)


@pytest.mark.slow
def test_eval_of_a_saved_model_matches_the_keras_file(
    run_dir, judge_path, tmp_path
):
    from keras_genimg.export import export_saved_model

    model = keras.models.load_model(run_dir / "model.keras")
    version = export_saved_model(model, tmp_path / "exported")
    results = []
    for source in (str(run_dir / "model.keras"), str(version)):
        out = tmp_path / f"{len(results)}.json"
        args = eval_args(judge_path, tmp_path, source, "--num", "24")
        assert main(args + ["--out", str(out)]) == 0
        results.append(json.loads(out.read_text())["metrics"])
    for key in METRIC_KEYS:
        assert results[1][key] == pytest.approx(results[0][key], rel=1e-3)


def test_eval_of_real_images_against_themselves(judge_path, tmp_path):
    out = tmp_path / "real.json"
    args = eval_args(judge_path, tmp_path, "--real-images", "shapes")
    args += ["--real-range", "0:40", "--out", str(out)]
    assert main(args) == 0
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["fid"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["precision"] == metrics["recall"] == 1.0


@pytest.mark.parametrize(
    "args,message",
    [
        (["eval", "--data", "shapes"], "either MODEL or --real-images"),
        (
            ["eval", "nowhere", "--data", "shapes", "--features", "x.keras"],
            "No judge model at 'x.keras'",
        ),
        (
            ["eval", "nowhere", "--data", "shapes"],
            "Could not download the InceptionV3 weights",
        ),
    ],
)
def test_eval_errors_are_one_line(args, message, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://example: no network")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error


def test_eval_rejects_a_bad_range(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "x", "--data", "shapes", "--data-range", "5:2"])
    assert "START < STOP" in capsys.readouterr().err


def test_plot_command_writes_curves_and_latent_pictures(run_dir, capsys):
    assert main(["plot", str(run_dir), "--num", "40", "--grid-size", "4"]) == 0
    for name, size in [
        ("history.png", (800, 300)),
        ("latent_manifold.png", (800, 800)),
        ("latent_scatter.png", (800, 700)),
    ]:
        with Image.open(run_dir / name) as png:
            assert png.size == size
            assert np.asarray(png.convert("L")).std() > 5  # not blank
    assert capsys.readouterr().out.count("Wrote") == 3


def test_plot_of_one_image_is_one_line(run_dir, capsys):
    # The VAE's 4 latent dimensions are drawn in their main plane, which
    # one image does not make.
    with pytest.raises(SystemExit) as info:
        main(["plot", str(run_dir), "--num", "1"])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        "genimg plot: error: The two main directions of the latent space "
        "need at least 2 images; received 1."
    )


def test_animate_command(run_dir, capsys):
    assert main(["animate", str(run_dir)]) == 0
    assert "(2 epochs)" in capsys.readouterr().out
    with Image.open(run_dir / "samples.gif") as gif:
        assert gif.n_frames == 2
