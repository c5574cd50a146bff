"""Tests for keras_genimg.data: every source, the pipeline and the errors."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest
import tensorflow as tf

from keras_genimg.data import (
    SHAPE_CLASSES,
    DataSourceError,
    load_arrays,
    load_dataset,
    load_images,
    load_slice,
    render_shapes,
    tfds_source,
)
from keras_genimg.data.idx import load_idx
from keras_genimg.data.shapes import SPLIT_SEEDS


def _batches(ds):
    return list(ds.as_numpy_iterator())


def _write_idx(path, array, magic):
    header = struct.pack(">I", magic) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    data = header + array.astype(np.uint8).tobytes()
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)


def _write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    tf.io.write_file(str(path), tf.io.encode_png(array))


# === Shapes ===


def test_render_shapes_is_deterministic_per_seed():
    a, la = render_shapes(40, image_size=16, seed=3)
    b, lb = render_shapes(40, image_size=16, seed=3)
    c, _ = render_shapes(40, image_size=16, seed=4)
    assert a.shape == (40, 16, 16, 1) and a.dtype == np.float32
    assert la.dtype == np.int32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, c)
    # The first k images do not depend on how many are drawn.
    d, ld = render_shapes(1500, image_size=16, seed=3)
    np.testing.assert_array_equal(d[:40], a)
    np.testing.assert_array_equal(ld[:40], la)


def test_render_shapes_values_classes_and_channels():
    gray, labels = render_shapes(300, image_size=24, channels=1, seed=0)
    rgb, labels_rgb = render_shapes(300, image_size=24, channels=3, seed=0)
    assert len(SHAPE_CLASSES) >= 4
    assert set(labels) == set(range(len(SHAPE_CLASSES)))
    assert gray.min() == 0.0 and gray.max() == 1.0
    # Anti-aliased edges give values strictly between 0 and 1.
    assert ((gray > 0) & (gray < 1)).any()
    # Every image holds a shape of a sensible size on a black background.
    area = gray.sum(axis=(1, 2, 3))
    assert area.min() > 10 and area.max() < 24 * 24 * 0.8
    assert rgb.shape == (300, 24, 24, 3) and rgb.dtype == np.float32
    np.testing.assert_array_equal(labels, labels_rgb)
    # Same geometry; the brightest channel of each colour is 1.
    np.testing.assert_allclose(rgb.max(axis=-1), gray[..., 0], atol=1e-6)
    colours = rgb.reshape(300, -1, 3).max(axis=1)
    assert len(np.unique(colours.round(3), axis=0)) > 250


def test_shapes_source_splits_sizes_and_direct_size():
    train, ytr = load_arrays("shapes", limit=100, with_labels=True)
    test, yte = load_arrays("shapes", split="test", limit=100, with_labels=True)
    assert train.shape == (100, 32, 32, 1) and train.dtype == np.float32
    assert not np.array_equal(train, test)
    expected, labels = render_shapes(100, seed=SPLIT_SEEDS["test"])
    np.testing.assert_array_equal(test, expected)
    np.testing.assert_array_equal(yte, labels)
    assert yte.dtype == np.int32 and ytr.max() < len(SHAPE_CLASSES)
    ds = load_images("shapes", split="test", batch_size=500, shuffle=False)
    assert ds.element_spec.shape.as_list() == [None, 32, 32, 1]
    assert ds.element_spec.dtype == tf.float32
    assert [len(b) for b in _batches(ds)] == [500] * 4
    # image_size draws at that size rather than resizing.
    x, _ = load_arrays("shapes", image_size=(20, 24), channels=3, limit=8)
    drawn, _ = render_shapes(8, (20, 24), channels=3, seed=SPLIT_SEEDS["train"])
    np.testing.assert_array_equal(x, drawn)
    with pytest.raises(DataSourceError, match="split 'validation'"):
        load_images("shapes", split="validation")


def test_simple_shapes_are_centred_upright_and_of_one_size():
    x, y = load_arrays(
        "simple-shapes", split="test", limit=400, with_labels=True
    )
    _, labels = render_shapes(400, seed=SPLIT_SEEDS["test"])
    np.testing.assert_array_equal(y, labels)  # the same shapes, posed
    # Every shape's centre of mass lies on the image's vertical axis
    # (all five are mirror-symmetric about it when upright), and the
    # squares, crosses and triangles are each one image.
    columns = np.arange(32) + 0.5
    mass = x[..., 0].sum(axis=1)
    centre = (mass * columns).sum(axis=1) / mass.sum(axis=1)
    np.testing.assert_allclose(centre, 16.0, atol=1e-3)
    for name in ("square", "cross", "triangle"):
        same = x[y == SHAPE_CLASSES.index(name)]
        assert len(same) > 50
        np.testing.assert_array_equal(
            same, np.broadcast_to(same[0], same.shape)
        )
    # The random source's shapes are not centred.
    random, _ = load_arrays("shapes", split="test", limit=400)
    mass = random[..., 0].sum(axis=1)
    spread = (mass * columns).sum(axis=1) / mass.sum(axis=1)
    assert spread.std() > 3


# === Pipeline behaviour ===


def test_shuffle_order_seed_limit_and_remainder():
    x = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1) * 20
    y = np.arange(10)

    def order(ds):
        return np.concatenate([b[1] for b in _batches(ds)]).tolist()

    plain = load_images((x, y), batch_size=4, shuffle=False, with_labels=True)
    batches = _batches(plain)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert order(plain) == list(range(10))
    np.testing.assert_allclose(
        batches[0][0][:, 0, 0, 0], np.arange(4) * 20 / 255, rtol=1e-6
    )
    a = load_images((x, y), batch_size=4, seed=7, with_labels=True)
    b = load_images((x, y), batch_size=4, seed=7, with_labels=True)
    first = order(a)
    assert first == order(b)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert order(a) != first  # reshuffled each epoch
    limited = load_images((x, y), limit=3, shuffle=False, with_labels=True)
    assert order(limited) == [0, 1, 2]
    # The limit takes the first examples, before shuffling.
    limited = load_images((x, y), limit=3, seed=1, with_labels=True)
    assert sorted(order(limited)) == [0, 1, 2]


def test_resize_and_channel_conversion():
    x = np.full((2, 8, 8, 3), 0.5, np.float32)
    x[1] = [1.0, 0.0, 0.0]  # pure red
    out, _ = load_arrays(x, image_size=(4, 6), channels=1)
    assert out.shape == (2, 4, 6, 1) and out.dtype == np.float32
    # TF grayscale weights sum to 0.9999.
    np.testing.assert_allclose(out[0], 0.5, atol=1e-4)
    np.testing.assert_allclose(out[1], 0.2989, atol=1e-3)
    out, _ = load_arrays(
        np.full((1, 5, 5), 51, np.uint8), image_size=9, channels=3
    )
    assert out.shape == (1, 9, 9, 3)
    np.testing.assert_allclose(out, 0.2, atol=1e-6)
    rgba = np.zeros((1, 4, 4, 4), np.uint8)
    rgba[..., 1], rgba[..., 3] = 255, 128
    out, _ = load_arrays(rgba, channels=3)
    np.testing.assert_array_equal(out[0, 0, 0], [0.0, 1.0, 0.0])
    checker = np.indices((1, 8, 8)).sum(axis=0) % 2 * 255
    out, _ = load_arrays(checker.astype(np.uint8), image_size=4)
    assert out.min() >= 0.0 and out.max() <= 1.0
    # Antialiased: an un-filtered resize would pick 0 or 1.
    np.testing.assert_allclose(out, 0.5, atol=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"limit": 0}, "limit"),
        ({"image_size": 0}, "image_size"),
        ({"image_size": (4, 4, 4)}, "image_size"),
        ({"channels": 2}, "channels"),
        ({"split": 5}, "split"),
        ({"seed": "a"}, "seed"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(DataSourceError, match=match):
        load_images(np.zeros((2, 4, 4), np.uint8), **kwargs)


def test_unknown_source_lists_valid_forms():
    with pytest.raises(DataSourceError, match="Valid sources: 'shapes'"):
        load_images("no_such_source")
    with pytest.raises(DataSourceError, match="Valid sources"):
        load_images(42)


def test_labels_requested_from_unlabelled_source():
    with pytest.raises(ValueError, match="no labels"):
        load_images(np.zeros((3, 4, 4), np.uint8), with_labels=True)


# === In-memory arrays ===


def test_arrays_uint8_scaling_and_float_passthrough():
    x = np.array([0, 1, 128, 255], np.uint8).reshape(1, 2, 2)
    out, y = load_arrays(x)
    assert y is None and out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(
        out.ravel(), np.array([0, 1, 128, 255], np.float32) / 255
    )
    f = np.random.default_rng(0).uniform(size=(5, 3, 3, 3))
    out, y = load_arrays(
        (f, np.arange(5, dtype=np.int64)[:, None]), with_labels=True
    )
    np.testing.assert_array_equal(out, f.astype(np.float32))
    np.testing.assert_array_equal(y, np.arange(5))
    assert y.dtype == np.int32


@pytest.mark.parametrize(
    "source, match",
    [
        (np.zeros((2, 4, 4), bool), "dtype bool"),
        (np.array([["a", "b"]]), "dtype <U1"),
        (np.empty((2, 4, 4), object), "dtype object"),
        (np.zeros((2, 4, 4), complex), "dtype complex"),
        (np.zeros((2, 4, 4), np.int64), "Cast integer pixel values"),
        (np.full((2, 4, 4), 255.0), r"Divide pixel values .* by 255"),
        (np.full((2, 4, 4), np.nan), "NaN"),
        (np.zeros((4, 4), np.uint8), r"shape \(4, 4\)"),
        (np.zeros((1, 2, 4, 4, 1), np.uint8), "shape"),
        (np.zeros((2, 4, 4, 2), np.uint8), r"C in \{1, 3, 4\}"),
        (np.zeros((0, 4, 4), np.uint8), "no images"),
        ((np.zeros((3, 4, 4), np.uint8), np.arange(2)), "2 entries"),
        ((np.zeros((3, 4, 4), np.uint8), np.zeros(3)), "labels of x"),
    ],
)
def test_arrays_bad_input(source, match):
    with pytest.raises(DataSourceError, match=match) as info:
        load_images(source)
    assert "x" in str(info.value)


# === IDX files ===


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, (6, 3, 5), dtype=np.uint8)
    test = rng.integers(0, 256, (4, 3, 5), dtype=np.uint8)
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", train, 0x803)
    _write_idx(
        tmp_path / f"train-labels-idx1-ubyte{suffix}", np.arange(6), 0x801
    )
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", test, 0x803)
    x, y = load_arrays(tmp_path, with_labels=True)
    assert x.shape == (6, 3, 5, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], train.astype(np.float32) / 255)
    np.testing.assert_array_equal(y, np.arange(6))
    x, _ = load_arrays(str(tmp_path), split="test")
    np.testing.assert_array_equal(x[..., 0], test.astype(np.float32) / 255)
    with pytest.raises(DataSourceError, match="no labels"):
        load_images(tmp_path, split="test", with_labels=True)


def test_idx_errors_name_the_file(tmp_path):
    images = tmp_path / "train-images-idx3-ubyte"
    _write_idx(images, np.zeros((4, 2, 2)), 0x803)
    images.write_bytes(images.read_bytes()[:-3])
    with pytest.raises(
        DataSourceError, match="train-images-idx3-ubyte.*truncated"
    ):
        load_images(tmp_path)
    _write_idx(images, np.zeros((4, 2, 2)), 0x801 + 0x1000)
    with pytest.raises(DataSourceError, match="magic number"):
        load_images(tmp_path)
    _write_idx(images, np.zeros((4, 2, 2)), 0x803)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3), 0x801)
    with pytest.raises(DataSourceError, match="3 labels.*4 images"):
        load_images(tmp_path)
    gz = tmp_path / "gz"
    gz.mkdir()
    _write_idx(gz / "train-images-idx3-ubyte.gz", np.zeros((50, 9, 9)), 0x803)
    data = (gz / "train-images-idx3-ubyte.gz").read_bytes()
    (gz / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataSourceError, match="idx3-ubyte.gz.*truncated"):
        load_images(gz)


def test_real_mnist_idx(mnist_dir):
    x, y = load_arrays(mnist_dir, split="test", with_labels=True)
    assert x.shape == (10000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


# === .npz files ===


@pytest.mark.parametrize("style", ["keras", "plain"])
def test_npz_key_styles(tmp_path, style):
    rng = np.random.default_rng(2)
    x_train = rng.integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (3, 4, 4, 3), dtype=np.uint8)
    y_train = np.array([[1], [0], [1], [2], [0]], np.uint8)
    path = tmp_path / "data.npz"
    if style == "keras":
        np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test)
        x, _ = load_arrays(path, split="test")
        np.testing.assert_array_equal(x, x_test.astype(np.float32) / 255)
    else:
        np.savez_compressed(path, x=x_train, y=y_train)
    x, y = load_arrays(str(path), with_labels=True)
    np.testing.assert_array_equal(x, x_train.astype(np.float32) / 255)
    np.testing.assert_array_equal(y, [1, 0, 1, 2, 0])


def test_npz_errors(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(DataSourceError, match="Keys found: images.*x_<split>"):
        load_images(path)
    np.savez(path, x_train=np.zeros((100, 8, 8), np.uint8))
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DataSourceError, match="data.npz.*corrupt"):
        load_images(path)
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(DataSourceError, match="data.npz.*corrupt"):
        load_images(path)


# === Image folders ===


def test_folder_with_class_subfolders(tmp_path):
    for label, name in enumerate(["cats", "dogs"]):
        for i in range(3):
            value = 40 * label + 10 * i
            image = np.full((6, 5, 3), value, np.uint8)
            _write_png(tmp_path / name / f"{i}.png", image)
    x, y = load_arrays(tmp_path, with_labels=True)
    assert x.shape == (6, 6, 5, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    expected = np.array([0, 10, 20, 40, 50, 60], np.float32) / 255
    np.testing.assert_allclose(x[:, 0, 0, 0], expected, atol=1e-6)
    x, _ = load_arrays(tmp_path, channels=1, image_size=(3, 4))
    assert x.shape == (6, 3, 4, 1)
    np.testing.assert_allclose(x[:, 1, 1, 0], expected, atol=1e-2)


def test_folder_without_subfolders_and_empty(tmp_path):
    _write_png(tmp_path / "a.png", np.full((4, 4, 1), 255, np.uint8))
    _write_png(tmp_path / "b.png", np.zeros((4, 4, 1), np.uint8))
    x, y = load_arrays(tmp_path)
    assert y is None and x.shape == (2, 4, 4, 1)
    np.testing.assert_array_equal(x[:, 0, 0, 0], [1.0, 0.0])
    with pytest.raises(DataSourceError, match="no labels"):
        load_images(tmp_path, with_labels=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not an image")
    with pytest.raises(DataSourceError, match=r"empty.*holds no images.*\.png"):
        load_images(empty)


def test_gif_and_bmp_folders_load_as_grayscale(tmp_path):
    # TensorFlow decodes neither to one channel; the folder converts them.
    from PIL import Image

    gray = np.arange(0, 240, 15, dtype=np.uint8).reshape(4, 4)
    Image.fromarray(gray, "L").save(tmp_path / "a.bmp")
    Image.fromarray(np.stack([gray] * 3, -1), "RGB").save(tmp_path / "b.gif")
    for channels in (None, 1):  # None: the first file's, grayscale
        x, _ = load_arrays(tmp_path, channels=channels)
        assert x.shape == (2, 4, 4, 1)
        np.testing.assert_allclose(x[0, ..., 0], gray / 255, atol=1 / 255)
        # A GIF's palette holds the image's 16 grays exactly.
        np.testing.assert_allclose(x[1, ..., 0], gray / 255, atol=1 / 255)
    x, _ = load_arrays(tmp_path, channels=3)
    assert x.shape == (2, 4, 4, 3)


def test_a_slice_is_read_back_in_the_shape_of_a_model_of_its_data():
    rgba = np.random.default_rng(0).integers(0, 256, (8, 6, 6, 4), np.uint8)
    for images in (rgba, rgba[..., :3], rgba[..., :1]):
        shape = load_dataset(images, batch_size=4).image_shape
        x, y = load_slice(images, data_range=(2, 6, 2), image_shape=shape)
        assert y is None and x.shape == (2, *shape)
        np.testing.assert_allclose(x, images[2:6:2] / 255, atol=1e-6)


def test_load_dataset_keeps_as_many_first_images_as_asked():
    images = np.random.default_rng(0).integers(0, 256, (10, 6, 6, 1), np.uint8)
    for num_first in (0, 3, 20):
        data = load_dataset(images, batch_size=4, num_first=num_first)
        kept = min(num_first, 10)
        assert data.image_shape == (6, 6, 1) and data.num_images == 10
        np.testing.assert_allclose(
            data.first_images, images[:kept] / 255, atol=1e-6
        )
    with pytest.raises(ValueError, match="num_first must be an int >= 0"):
        load_dataset(images, num_first=-1)


# === TensorFlow Datasets ===


@pytest.mark.slow
def test_tfds_mock_data(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    # The mock serves every data set; nothing is downloaded.
    monkeypatch.setattr(tfds_source, "_can_download", lambda: True)
    with tfds.testing.mock_data(num_examples=10):
        ds = load_images("mnist", batch_size=4, with_labels=True, shuffle=False)
        batches = _batches(ds)
        raw = np.stack(
            [
                ex["image"]
                for ex in tfds.as_numpy(tfds.load("mnist", split="train"))
            ]
        )
        x, _ = load_arrays(
            "tfds:cifar10", split="test", image_size=16, channels=1, limit=3
        )
        with pytest.raises(DataSourceError, match="no `image` feature"):
            load_images("tfds:imdb_reviews")
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert images.shape == (10, 28, 28, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images, raw.astype(np.float32) / 255)
    assert labels.dtype == np.int32 and labels.min() >= 0
    assert labels.max() <= 9
    assert x.shape == (3, 16, 16, 1)
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_tfds_download_failure_message(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    cause = ConnectionError("network is unreachable")

    def failing_load(*args, **kwargs):
        raise cause

    monkeypatch.setattr(tfds, "load", failing_load)
    monkeypatch.setattr(tfds_source, "_can_download", lambda: True)
    with pytest.raises(DataSourceError) as info:
        load_images("fashion_mnist", data_dir="/data/tfds")
    message = str(info.value)
    assert "'fashion_mnist'" in message and "/data/tfds" in message
    assert "tfds build fashion_mnist" in message
    assert "tfds.load('fashion_mnist')" in message
    assert "IDX" in message and ".npz" in message
    assert info.value.__cause__ is cause


def test_tfds_fails_fast_when_it_cannot_download(monkeypatch, tmp_path, caplog):
    pytest.importorskip("tensorflow_datasets")
    import time

    from keras_genimg.cli.main import main

    # Nothing listens on port 1: the download host refuses at once, as an
    # offline machine's would.
    monkeypatch.setattr(tfds_source, "DOWNLOAD_HOST", ("127.0.0.1", 1))
    start = time.perf_counter()
    with pytest.raises(DataSourceError) as info:
        load_images("mnist", data_dir=str(tmp_path))
    assert time.perf_counter() - start < 30
    message = str(info.value)
    assert "not prepared there" in message and str(tmp_path) in message
    assert "--data-dir" in message
    # Nothing besides the error: TFDS' warning of the unprepared folder
    # is held back.
    assert not [r for r in caplog.records if r.name == "absl"], caplog.text
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "vae", "--data", "mnist", "--data-dir", str(tmp_path),
              "--out", str(tmp_path / "run")])  # fmt: skip
    assert exit_info.value.code == 2


def test_tfds_unknown_name():
    pytest.importorskip("tensorflow_datasets")
    with pytest.raises(DataSourceError, match="not a TensorFlow Datasets"):
        load_images("tfds:surely_not_a_dataset")


def test_pipeline_turns_the_autotuner_off():
    # With it on, an iterator dropped before its end (fit with
    # steps_per_epoch on a repeated dataset) is held up to 5 s at deletion.
    ds = load_images(np.zeros((8, 4, 4, 1), "uint8"), batch_size=4)
    assert ds.options().autotune.enabled is False
    assert ds.repeat().options().autotune.enabled is False


def _peak_memory(function):
    """The most memory Python allocated while `function` ran (bytes)."""
    tracemalloc.start()
    try:
        function()
    except DataSourceError:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_gzip_idx_is_read_no_further_than_its_header_says(tmp_path):
    # A 1,000-image header, then 200 MB of zeros: about 200 KB gzipped.
    path = tmp_path / "train-images-idx3-ubyte.gz"
    header = (0x803).to_bytes(4, "big") + b"".join(
        n.to_bytes(4, "big") for n in (1000, 28, 28)
    )
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        for _ in range(200):
            f.write(bytes(1 << 20))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DataSourceError, match="is corrupt.*found more"):
        load_idx(path)
    peak = _peak_memory(lambda: load_idx(path))
    assert peak < 5 * 1000 * 28 * 28, peak  # the header's 784 KB, not 200 MB


def test_gzip_idx_header_promising_too_much_is_refused_unread(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write((0x803).to_bytes(4, "big"))
        f.write(b"".join(n.to_bytes(4, "big") for n in (60000, 4096, 4096)))
        f.write(bytes(1000))
    with pytest.raises(DataSourceError, match="more than a gzip file of"):
        load_idx(path)
    assert _peak_memory(lambda: load_idx(path)) < 1 << 20
