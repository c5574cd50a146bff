"""Tests of labelled synthetic data: `genimg synthesize` and `data.mix`."""

import json

import keras
import numpy as np
import pytest

from keras_genimg.cli.main import main
from keras_genimg.data import DataSourceError, load_arrays, load_images, mix
from keras_genimg.models import DCGAN

SHAPE = (8, 8, 1)


def labelled(num, value, num_classes=2):
    x = np.full((num,) + SHAPE, value, "float32")
    return x, np.arange(num) % num_classes


def test_mix_adds_ratio_synthetic_images_per_real_one():
    real, fake = labelled(10, 0.0), labelled(40, 1.0)
    x, y = mix(real, fake, ratio=2.5, seed=0)
    assert x.shape == (35,) + SHAPE and x.dtype == np.float32
    assert y.dtype == np.int32
    is_fake = x.max(axis=(1, 2, 3)) == 1.0
    assert is_fake.sum() == 25
    # Shuffled, and the same for a seed.
    assert 0 < is_fake[:10].sum() < 10
    np.testing.assert_array_equal(x, mix(real, fake, 2.5, seed=0)[0])
    # Labels travel with their images.
    assert np.bincount(y[~is_fake]).tolist() == [5, 5]
    x, _ = mix(real, fake, ratio=0, seed=0)
    assert len(x) == 10 and x.max() == 0.0
    # uint8 images are scaled to [0, 1], as the loader does.
    fake_uint8 = (np.full((10,) + SHAPE, 255, "uint8"), np.zeros(10, "int64"))
    x, y = mix(real, fake_uint8, ratio=1.0)
    assert x.max() == 1.0 and x.dtype == np.float32
    # And the result is a source the loader takes.
    batch, labels = next(iter(load_images((x, y), with_labels=True)))
    assert batch.shape[1:] == SHAPE


@pytest.mark.parametrize(
    "real,fake,ratio,message",
    [
        (labelled(10, 0.0), labelled(5, 1.0), 1.0, "only 5"),
        (labelled(4, 0.0), (np.ones((4, 4, 4, 1), "f4"), [0] * 4), 1, "shape"),
        ((np.zeros((4,) + SHAPE, "f4"), None), labelled(4, 1.0), 1, "labels"),
        (labelled(4, 0.0), labelled(4, 1.0), -1.0, "ratio"),
        (labelled(4, 0.0), labelled(4, 1.0), "2", "a number >= 0, got '2'"),
        (labelled(4, 0.0), labelled(4, 1.0), None, "a number >= 0, got None"),
        (labelled(4, 0.0), labelled(4, 1.0), np.inf, "finite, got inf"),
    ],
)
def test_mix_rejects_bad_input(real, fake, ratio, message):
    with pytest.raises(DataSourceError, match=message):
        mix(real, fake, ratio)


@pytest.mark.slow
def test_synthesize_from_a_run_and_from_its_export(tmp_path, capsys):
    run, exports = tmp_path / "run", tmp_path / "saved_models" / "cgan"
    argv = ["train", "cgan", "--epochs", "1", "--limit", "48"]
    argv += ["--batch-size", "16", "--image-size", "16", "--latent-dim", "4"]
    argv += ["--verbose", "0", "--out", str(run), "--export", str(exports)]
    assert main(argv) == 0
    with open(run / "history.json") as f:
        assert "d_loss" in json.load(f)
    model = keras.models.load_model(run / "model.keras")
    assert isinstance(model, DCGAN) and model.num_classes is not None
    # 'shapes' has 5 classes; the training read the labels.
    assert model.num_classes == 5
    assert (run / "samples" / "epoch_0001.png").is_file()

    from_run, from_export = tmp_path / "run.npz", tmp_path / "export.npz"
    argv = ["synthesize", "--per-class", "3", "--seed", "7"]
    assert main([*argv, "--model", str(run), "--out", str(from_run)]) == 0
    assert "15 images of 5 classes" in capsys.readouterr().out
    assert main([*argv, str(exports / "1"), "--out", str(from_export)]) == 0
    with np.load(from_run) as a, np.load(from_export) as b:
        assert sorted(a.keys()) == ["x", "y"]
        assert a["x"].dtype == np.uint8 and a["x"].shape == (15, 16, 16, 1)
        assert a["y"].tolist() == [k for k in range(5) for _ in range(3)]
        # The same seeds give the same images from Keras and the export.
        assert np.abs(a["x"].astype(int) - b["x"]).max() <= 1
        np.testing.assert_array_equal(a["y"], b["y"])
    x, y = load_arrays(str(from_run), with_labels=True)
    assert x.shape == (15, 16, 16, 1) and np.bincount(y).tolist() == [3] * 5

    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--model", str(exports)])
    assert exit_info.value.code == 2
    assert "base folder" in capsys.readouterr().err

    # `genimg sample` draws the chosen classes, alike from both sources.
    grids = {}
    for name, source in (("run", run), ("export", exports / "1")):
        for labels in ([], ["--label", "3", "1"]):
            out = tmp_path / f"{name}{len(labels)}.png"
            argv = ["sample", str(source), "--num", "4", "--out", str(out)]
            assert main([*argv, *labels]) == 0
            grids[name, len(labels)] = read_png(out)
    for count in (0, 3):
        difference = grids["run", count] - grids["export", count]
        assert np.abs(difference).max() <= 1
    # The labels reach the model: classes 3, 1, 3, 1 against 0, 1, 2, 3.
    assert np.abs(grids["run", 0] - grids["run", 3]).max() > 0
    for argv, message in (
        (["sample", str(run), "--label", "5"], "out of range"),
        (["sample", str(exports / "1"), "--label", "-1"], "out of range"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def read_png(path):
    import tensorflow as tf

    return tf.io.decode_png(tf.io.read_file(str(path))).numpy().astype(int)


def test_synthesize_refuses_unconditional_models(tmp_path, capsys, zoo_model):
    zoo_model("dcgan").save(tmp_path / "d.keras")
    argv = ["synthesize", "--model", str(tmp_path / "d.keras")]
    with pytest.raises(SystemExit):
        main([*argv, "--per-class", "2"])
    assert "needs a conditional model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sample", str(tmp_path / "d.keras"), "--label", "1"])
    assert "takes no --label" in capsys.readouterr().err
