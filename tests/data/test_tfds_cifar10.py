"""`genimg train dcgan --data cifar10 --data-dir DIR` on a prepared
TensorFlow Datasets folder.

TFDS' own CIFAR-10 builder prepares the folder from files in the format
of the real download (`cifar-10-binary.tar.gz`: per image one label byte
and 3,072 pixel bytes, the red plane, then green, then blue), written by
the test; only the download itself is replaced by that folder, while
it is prepared. The command then runs through `genimg`'s entry point,
with the download as TFDS has it.
"""

import json
from unittest import mock

import keras
import numpy as np
import pytest

from keras_genimg.cli.main import main
from keras_genimg.data import load_arrays

tfds = pytest.importorskip("tensorflow_datasets")

IMAGES_PER_FILE = 4
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog",
               "frog", "horse", "ship", "truck"]  # fmt: skip


def _write_cifar_download(folder, rng):
    """Writes the extracted CIFAR-10 binary download; returns the train
    images (N, 32, 32, 3) uint8 and their labels."""
    batches = folder / "cifar-10-batches-bin"
    batches.mkdir(parents=True)
    (batches / "batches.meta.txt").write_text("\n".join(CLASS_NAMES) + "\n")
    images, labels = [], []
    for name in [*TRAIN_FILES, "test_batch.bin"]:
        planes = rng.integers(0, 256, (IMAGES_PER_FILE, 3, 32, 32), np.uint8)
        classes = rng.integers(0, 10, IMAGES_PER_FILE).astype(np.uint8)
        rows = np.concatenate([classes[:, None], planes.reshape(-1, 3072)], 1)
        rows.tofile(batches / name)
        if name in TRAIN_FILES:
            images.append(planes.transpose(0, 2, 3, 1))
            labels.append(classes)
    return np.concatenate(images), np.concatenate(labels)


@pytest.fixture(scope="module")
def cifar10_dir(tmp_path_factory):
    """A TFDS `data_dir` holding a prepared (tiny) CIFAR-10, and its train
    images and labels."""
    root = tmp_path_factory.mktemp("cifar10")
    download = root / "download"
    images, labels = _write_cifar_download(download, np.random.default_rng(0))
    data_dir = root / "tensorflow_datasets"
    with mock.patch.object(
        tfds.download.DownloadManager,
        "download_and_extract",
        lambda self, url: str(download),
    ):
        builder = tfds.builder("cifar10", data_dir=str(data_dir))
        builder.download_and_prepare()
    assert builder.is_prepared()
    return data_dir, images, labels


def _sorted_rows(images, labels):
    flat = np.concatenate([labels[:, None], images.reshape(len(images), -1)], 1)
    return flat[np.lexsort(flat.T[::-1])]


def test_load_arrays_reads_the_prepared_cifar10(cifar10_dir):
    data_dir, images, labels = cifar10_dir
    x, y = load_arrays("cifar10", data_dir=str(data_dir), with_labels=True)
    assert x.shape == (len(images), 32, 32, 3) and x.dtype == np.float32
    # TFDS stores the examples in its own order: compare them as sets.
    read = np.rint(x * 255).astype(np.uint8)
    np.testing.assert_array_equal(
        _sorted_rows(read, y.astype(np.uint8)), _sorted_rows(images, labels)
    )


@pytest.mark.slow
def test_genimg_trains_a_dcgan_on_cifar10_from_a_data_dir(
    cifar10_dir, tmp_path
):
    data_dir, images, _ = cifar10_dir
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--data", "cifar10", "--data-dir",
                 str(data_dir), "--epochs", "2", "--batch-size", "8",
                 "--latent-dim", "8", "--mixed-precision", "float32",
                 "--verbose", "0", "--out", str(out)]) == 0  # fmt: skip
    assert (out / "samples" / "epoch_0002.png").is_file()
    with open(out / "history.json") as f:
        history = json.load(f)
    assert history["epoch"] == [1, 2]
    assert all(np.isfinite(history["d_loss"] + history["g_loss"]))
    model = keras.models.load_model(out / "model.keras")
    assert model.image_shape == (32, 32, 3)
    # 20 images in batches of 8: 3 steps an epoch.
    assert int(model.optimizer.iterations) == 2 * -(-len(images) // 8)
    samples = model.generate(num_images=4, seed=0)
    assert samples.shape == (4, 32, 32, 3)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    assert samples.std(axis=(0, 1, 2)).min() > 0.0
