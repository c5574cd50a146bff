"""`genimg train` reads its data in one pass and takes its defaults from
the models' registry."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from keras_genimg.cli.main import main
from keras_genimg.data import load_dataset, pipeline
from keras_genimg.models import registry

NUM_IMAGES = 48


def _labelled_npz(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (NUM_IMAGES, 16, 16, 1), dtype=np.uint8)
    y = np.arange(NUM_IMAGES) % 3
    path = tmp_path / "data.npz"
    np.savez(path, x=x, y=y)
    return path, x, y


@pytest.fixture
def counted_reads(monkeypatch):
    """Counts the sources opened and the images decoded from them."""
    reads = {"opened": 0, "decoded": 0}
    open_source = pipeline._open_source

    def note_decoded(image):
        reads["decoded"] += 1
        return image

    def counting_open(*args, **kwargs):
        ds, name = open_source(*args, **kwargs)
        reads["opened"] += 1
        shape = ds.element_spec[0].shape

        def counted(image, label):
            image = tf.py_function(note_decoded, [image], image.dtype)
            image.set_shape(shape)
            return image, label

        return ds.map(counted), name

    monkeypatch.setattr(pipeline, "_open_source", counting_open)
    return reads


@pytest.mark.slow
@pytest.mark.parametrize("model", ["cgan", "vae"])
def test_train_opens_and_decodes_its_source_once(
    model, counted_reads, tmp_path
):
    path, _, _ = _labelled_npz(tmp_path)
    argv = ["train", model, "--data", str(path), "--epochs", "2",
            "--batch-size", "16", "--latent-dim", "4", "--verbose", "0",
            "--out", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 0
    # Two epochs, the classes, the fixed grids' images and fit's check of
    # the first batch: all from the one decoding pass.
    assert counted_reads == {"opened": 1, "decoded": NUM_IMAGES}


def test_load_dataset_reports_what_the_data_holds(counted_reads, tmp_path):
    path, x, y = _labelled_npz(tmp_path)
    data = load_dataset(path, batch_size=10, with_labels=True, num_first=5,
                        seed=0)  # fmt: skip
    assert data.image_shape == (16, 16, 1)
    assert data.num_images == NUM_IMAGES and data.num_classes == 3
    np.testing.assert_array_equal(data.first_images, x[:5] / np.float32(255))
    np.testing.assert_array_equal(data.first_labels, y[:5])
    for _ in range(2):
        labels = np.concatenate([b[1] for b in data.dataset])
        assert sorted(labels) == sorted(y)
    assert counted_reads == {"opened": 1, "decoded": NUM_IMAGES}
    unlabelled = load_dataset(path, batch_size=10, num_first=100)
    assert unlabelled.num_classes is None and unlabelled.first_labels is None
    assert len(unlabelled.first_images) == NUM_IMAGES


@pytest.mark.slow
def test_train_takes_its_defaults_from_the_registry(monkeypatch, tmp_path):
    path, _, _ = _labelled_npz(tmp_path)
    changed = dataclasses.replace(
        registry.entry("vae"), latent_dim=3, batch_size=12, epochs=2
    )
    monkeypatch.setitem(registry._ZOO, "vae", changed)
    out = tmp_path / "run"
    argv = ["train", "vae", "--data", str(path), "--verbose", "0",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    with open(out / "history.json") as f:
        assert json.load(f)["epoch"] == [1, 2]
    import keras

    model = keras.models.load_model(out / "model.keras")
    assert model.latent_dim == 3
    # 48 images in batches of 12: 4 steps an epoch, 8 in all.
    assert int(model.optimizer.iterations) == 8


def test_info_lists_the_registry_with_its_defaults(capsys):
    assert main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = lines[lines.index("models (genimg train's defaults):") + 2 :]
    for name, line in zip(registry.names(), table, strict=True):
        entry = registry.entry(name)
        assert line.split() == [
            name,
            entry.model_class.__name__,
            "yes" if entry.conditional else "no",
            str(entry.latent_dim or "image"),
            str(entry.batch_size),
            str(entry.epochs),
        ]


def test_info_of_a_model_lists_its_options(capsys):
    assert main(["info", "sngan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = lines[lines.index("options of sngan (genimg train --option "
                               "KEY=VALUE):") + 1 :]  # fmt: skip
    assert "  loss = 'hinge'" in listed and "  use_ema = True" in listed
    assert len(listed) == len(registry.options("sngan"))


@pytest.mark.slow
def test_train_passes_model_options_to_the_model(tmp_path):
    out = tmp_path / "run"
    argv = ["train", "dcgan", "--data", "shapes", "--limit", "32"]
    argv += ["--batch-size", "16", "--image-size", "16", "--epochs", "1"]
    argv += ["--option", "use_ema=false", "--option", "filters=8"]
    argv += ["--option", "diff_augment=translation", "--verbose", "0"]
    assert main([*argv, "--out", str(out)]) == 0
    import keras

    model = keras.models.load_model(out / "model.keras")
    assert not model.use_ema and model.ema_generator is None
    assert model.filters == 8 and model.diff_augment == "translation"
    with open(out / "config.json") as f:
        assert json.load(f)["options"] == {
            "use_ema": False,
            "filters": 8,
            "diff_augment": "translation",
        }
