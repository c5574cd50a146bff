"""Tests of feature extraction, the judge, Inception and the feature cache."""

import os
import urllib.error

import keras
import numpy as np
import pytest

from keras_genimg.data import load_arrays
from keras_genimg.metrics import (
    FeatureExtractor,
    FeatureSet,
    InceptionWeightsError,
    build_judge,
    compute_metrics,
    compute_reference,
    inception_extractor,
    judge_extractor,
    knn_radii,
    train_judge,
)
from keras_genimg.metrics import reference as reference_module

SHAPE = (16, 16, 1)


def identity_extractor(input_shape, **kwargs):
    """Features = the preprocessed pixels themselves."""
    inputs = keras.Input(input_shape)
    return FeatureExtractor(
        keras.Model(inputs, keras.layers.Flatten()(inputs)), "pixels", **kwargs
    )


def random_images(num, shape=SHAPE, seed=0):
    return np.random.default_rng(seed).random((num,) + shape, "float32")


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


# === Preprocessing ===


def test_images_are_quantised_to_8_bits():
    images = np.full((2, 4, 4, 1), 0.3021, "float32")  # 77.04 / 255
    features = identity_extractor((4, 4, 1)).extract(images).features
    np.testing.assert_allclose(features, 77 / 255, rtol=1e-6)
    exact = identity_extractor((4, 4, 1), quantize=False)
    np.testing.assert_allclose(exact.extract(images).features, 0.3021)


def test_gray_is_tiled_to_three_channels_and_scaled_to_signed():
    images = random_images(2, (4, 4, 1))
    extractor = identity_extractor((4, 4, 3), input_range="signed")
    pixels = extractor.extract(images).features.reshape(2, 4, 4, 3)
    quantised = np.round(images * 255) / 255
    for channel in range(3):
        np.testing.assert_allclose(
            pixels[..., channel], quantised[..., 0] * 2 - 1, atol=1e-6
        )


def test_images_are_resized_to_the_model_input():
    extractor = identity_extractor((8, 8, 1))
    flat = np.full((3, 16, 16, 1), 0.5, "float32")
    features = extractor.extract(flat).features
    assert features.shape == (3, 64)
    np.testing.assert_allclose(features, 128 / 255, atol=1e-5)


def test_extraction_in_batches_equals_all_at_once():
    judge = build_judge(SHAPE, num_classes=4, filters=4)
    images = random_images(10)
    whole = judge_extractor(judge, batch_size=100).extract(images)
    done = []
    batched = judge_extractor(judge, batch_size=3).extract(
        images, progress=done.append
    )
    assert done == [3, 3, 3, 1]
    np.testing.assert_allclose(batched.features, whole.features, atol=1e-5)
    np.testing.assert_allclose(
        batched.probabilities, whole.probabilities, atol=1e-6
    )
    assert whole.features.shape == (10, 128)
    np.testing.assert_allclose(whole.probabilities.sum(axis=1), 1, atol=1e-5)


def test_extractor_rejects_bad_images():
    extractor = identity_extractor((4, 4, 1))
    with pytest.raises(ValueError, match="floating point"):
        extractor.extract(np.zeros((2, 4, 4, 1), "uint8"))
    with pytest.raises(ValueError, match="C 1 or 3"):
        extractor.extract(np.zeros((2, 4, 4), "float32"))


def test_fingerprint_follows_weights_and_preprocessing():
    judge = build_judge(SHAPE, num_classes=3, filters=4)
    first = judge_extractor(judge).fingerprint
    assert judge_extractor(judge).fingerprint == first
    assert judge_extractor(judge, quantize=False).fingerprint != first
    other = build_judge(SHAPE, num_classes=3, filters=4)
    assert judge_extractor(other).fingerprint != first
    # The same weights read at another layer give other features.
    earlier = judge.layers[-3].name
    assert judge_extractor(judge, feature_layer=earlier).fingerprint != first


# === Judge ===


@pytest.mark.slow
def test_judge_reaches_useful_accuracy_on_real_digits(mnist_dir):
    x, y = load_arrays(mnist_dir, with_labels=True, limit=2000)
    judge, accuracy = train_judge(
        x, y, epochs=3, batch_size=64, filters=8, holdout=0.2
    )
    assert accuracy > 0.8  # 400 held-out digits; chance is 0.1
    assert judge.get_layer("features").output.shape == (None, 128)


@pytest.mark.slow
def test_judge_learns_easy_classes_and_round_trips(tmp_path):
    # Three classes told apart by where a bright bar is.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    images = rng.random((300,) + SHAPE, "float32") * 0.2
    for image, label in zip(images, labels):
        image[:, 5 * label : 5 * label + 5] = 1.0
    judge, accuracy = train_judge(
        images, labels, epochs=4, batch_size=32, filters=4
    )
    assert accuracy > 0.9
    path = tmp_path / "judge.keras"
    judge.save(path)
    reloaded = judge_extractor(str(path)).extract(images[:5])
    np.testing.assert_allclose(
        reloaded.features,
        judge_extractor(judge).extract(images[:5]).features,
        atol=1e-5,
    )
    with pytest.raises(FileNotFoundError, match="genimg judge train"):
        judge_extractor(str(tmp_path / "missing.keras"))


# === Inception ===


def test_failed_inception_download_is_one_clear_message(monkeypatch, tmp_path):
    import keras.src.utils.file_utils as file_utils

    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    with pytest.raises(InceptionWeightsError) as info:
        inception_extractor(cache_dir=str(tmp_path))
    message = str(info.value)
    assert "Could not download the InceptionV3 weights" in message
    assert "--inception-weights PATH" in message
    assert "\n" not in message
    with pytest.raises(InceptionWeightsError, match="No InceptionV3 weights"):
        inception_extractor(weights=str(tmp_path / "missing.h5"))


@pytest.mark.slow
def test_inception_plumbing_with_random_weights():
    # Real weights cannot be assumed here; random ones test the wiring:
    # 299x299 input, gray tiled to RGB, 2048 pool features, 1000 classes.
    extractor = inception_extractor(weights=None)
    assert extractor.input_shape == (299, 299, 3)
    assert extractor.config()["input_range"] == "signed"
    result = extractor.extract(random_images(2, (28, 28, 1)))
    assert result.features.shape == (2, 2048)
    assert result.probabilities.shape == (2, 1000)


# === Reference cache ===


def test_reference_features_are_cached_and_never_reused_across_a_mismatch(
    tmp_path,
):
    images = random_images(12)
    labels = np.arange(12) % 3
    extractor = judge_extractor(build_judge(SHAPE, 3, filters=4))
    options = dict(cache_dir=str(tmp_path), labels=labels)
    data = {"source": "x", "split": "train", "range": None}
    first = compute_reference(images, extractor, description=data, **options)
    assert not first.from_cache and len(os.listdir(tmp_path)) == 1
    again = compute_reference(images, extractor, description=data, **options)
    assert again.from_cache
    np.testing.assert_array_equal(
        again.features.features, first.features.features
    )
    np.testing.assert_array_equal(again.labels, labels)
    np.testing.assert_allclose(again.covariance, first.covariance)

    changed = images.copy()
    changed[0, 0, 0, 0] = 1.0 - changed[0, 0, 0, 0]
    other_split = dict(data, split="test")
    other_model = judge_extractor(build_judge(SHAPE, 3, filters=4))
    other_size = random_images(12, (20, 20, 1))
    for args in [
        (changed, extractor, data),
        (images, extractor, other_split),
        (images, other_model, data),
        (other_size, extractor, data),
    ]:
        result = compute_reference(
            args[0], args[1], description=args[2], **options
        )
        assert not result.from_cache
    assert len(os.listdir(tmp_path)) == 5

    # A damaged entry is recomputed, not trusted.
    for name in os.listdir(tmp_path):
        with open(tmp_path / name, "wb") as f:
            f.write(b"not an npz")
    assert not compute_reference(
        images, extractor, description=data, **options
    ).from_cache
    assert compute_reference(
        images, extractor, description=data, **options
    ).from_cache


def test_a_reference_computes_its_knn_radii_once_and_caches_them(
    tmp_path, monkeypatch
):
    images = random_images(12)
    extractor = judge_extractor(build_judge(SHAPE, 3, filters=4))
    options = dict(cache_dir=str(tmp_path), description={"source": "x"})
    first = compute_reference(images, extractor, **options)
    fake = FeatureSet(first.features.features[::-1][:8] + 0.01, None)
    scores = compute_metrics(first, fake, metrics=("precision",))
    np.testing.assert_array_equal(
        first.knn_radii(3), knn_radii(first.features.features, 3)
    )

    # Read back from the cache entry, the radii are not computed again,
    # and the metrics are the same.
    def fail(*args, **kwargs):
        raise AssertionError("the radii were computed again")

    monkeypatch.setattr(reference_module, "knn_radii", fail)
    again = compute_reference(images, extractor, **options)
    assert again.from_cache and sorted(again.radii) == [3]
    assert compute_metrics(again, fake, metrics=("precision",)) == scores
    with pytest.raises(AssertionError, match="computed again"):
        again.knn_radii(5)  # another k is computed, once


def test_a_read_only_reference_cache_still_serves(tmp_path, monkeypatch):
    images = random_images(12)
    extractor = judge_extractor(build_judge(SHAPE, 3, filters=4))
    options = dict(cache_dir=str(tmp_path), description={"source": "x"})
    compute_reference(images, extractor, **options)

    def refuse(path, reference):
        raise PermissionError(f"read-only: {path}")

    monkeypatch.setattr(reference_module, "_write", refuse)
    cached = compute_reference(images, extractor, **options)
    assert cached.from_cache
    fake = FeatureSet(cached.features.features[:8] + 0.01, None)
    result = compute_metrics(cached, fake, metrics=("precision",))
    assert 0.0 <= result["precision"] <= 1.0
    np.testing.assert_array_equal(
        cached.knn_radii(3), knn_radii(cached.features.features, 3)
    )
