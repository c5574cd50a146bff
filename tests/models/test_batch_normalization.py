"""Our BatchNormalization gives what keras.layers.BatchNormalization gives."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_genimg.models import BatchNormalization, networks

X = np.random.default_rng(0).normal(2.0, 3.0, (8, 5, 5, 6)).astype("float32")


def train_once(layer, x):
    """One training call; returns outputs, gradients, moving statistics."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.cast(y, "float32") ** 3)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    moving = [w.numpy() for w in layer.non_trainable_weights]
    return np.float32(y), [g.numpy() for g in grads], moving


def twins(dtype="float32", **kwargs):
    keras_layer = keras.layers.BatchNormalization(dtype=dtype, **kwargs)
    fused = BatchNormalization(dtype=dtype, **kwargs)
    assert type(keras_layer) is not type(fused)
    keras_layer.build(X.shape)
    fused.build(X.shape)
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, w.shape) for w in keras_layer.weights]
    keras_layer.set_weights(weights)
    fused.set_weights(weights)
    return keras_layer, fused


@pytest.mark.parametrize(
    "dtype, tolerance",
    [("float32", 1e-5), ("mixed_bfloat16", 2e-2), ("mixed_float16", 2e-3)],
)
@pytest.mark.parametrize("scale_and_center", [True, False])
def test_training_matches_keras_batch_norm(dtype, tolerance, scale_and_center):
    keras_layer, fused = twins(
        dtype, scale=scale_and_center, center=scale_and_center
    )
    initial_moving = [w.numpy() for w in fused.non_trainable_weights]
    expected, got = train_once(keras_layer, X), train_once(fused, X)
    np.testing.assert_allclose(got[0], expected[0], rtol=tolerance, atol=1e-2)
    assert got[0].std() > 0.5  # normalized, not all zeros
    for got_grad, expected_grad in zip(got[1], expected[1]):
        scale = np.abs(expected_grad).max()
        np.testing.assert_allclose(
            got_grad / scale, expected_grad / scale, atol=tolerance
        )
    # The moving variance is the biased one, as Keras keeps it.
    for got_moving, expected_moving, initial in zip(
        got[2], expected[2], initial_moving
    ):
        np.testing.assert_allclose(got_moving, expected_moving, rtol=1e-6)
        assert not np.allclose(got_moving, initial)


def op_types(layer, x, training):
    function = tf.function(lambda x: layer(x, training=training))
    graph = function.get_concrete_function(tf.constant(x)).graph
    return {op.type for op in graph.get_operations()}


@pytest.mark.parametrize(
    "dtype", ["float32", "mixed_bfloat16", "mixed_float16"]
)
def test_training_runs_one_fused_kernel_inference_does_not(dtype):
    layer = BatchNormalization(dtype=dtype)
    assert "FusedBatchNormV3" in op_types(layer, X, training=True)
    assert "FusedBatchNormV3" not in op_types(layer, X, training=False)
    keras_layer = keras.layers.BatchNormalization(dtype=dtype)
    assert "FusedBatchNormV3" not in op_types(keras_layer, X, training=True)


def test_the_networks_use_it():
    generator = networks.build_dcgan_generator((28, 28, 1), 8, filters=4)
    norms = [
        layer
        for layer in generator.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and all(type(n) is BatchNormalization for n in norms)


def test_weight_files_of_keras_batch_norm_networks_load(tmp_path, monkeypatch):
    """Weights saved from networks with Keras' layer (older versions of the
    library) load into today's networks, and back."""
    rng = np.random.default_rng(2)
    with monkeypatch.context() as patch:
        patch.setattr(
            networks, "BatchNormalization", keras.layers.BatchNormalization
        )
        old = networks.build_dcgan_discriminator((16, 16, 1), filters=4)
    new = networks.build_dcgan_discriminator((16, 16, 1), filters=4)
    assert any(type(la) is BatchNormalization for la in new.layers)
    assert any(type(la) is keras.layers.BatchNormalization for la in old.layers)
    old.set_weights([rng.normal(size=w.shape) for w in old.weights])
    old.save_weights(tmp_path / "old.weights.h5")
    new.load_weights(tmp_path / "old.weights.h5")
    images = rng.random((4, 16, 16, 1), "float32")
    np.testing.assert_allclose(new(images), old(images), rtol=1e-6)
    new.save_weights(tmp_path / "new.weights.h5")
    old.load_weights(tmp_path / "new.weights.h5")


def test_training_output_is_normalized_per_channel():
    y = np.asarray(BatchNormalization()(X, training=True))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1.0, rtol=1e-2)


def test_inference_and_unfusable_inputs_are_keras_batch_norm():
    keras_layer, fused = twins()
    np.testing.assert_array_equal(fused(X), keras_layer(X))
    flat = X.reshape(8, -1)
    keras_flat = keras.layers.BatchNormalization()
    fused_flat = BatchNormalization()
    np.testing.assert_array_equal(
        fused_flat(flat, training=True), keras_flat(flat, training=True)
    )
    channels_first = BatchNormalization(axis=1)
    y = np.asarray(channels_first(X, training=True))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)


def test_config_round_trip_and_saving(tmp_path):
    layer = BatchNormalization(momentum=0.9, epsilon=1e-4)
    model = keras.Sequential([keras.Input(X.shape[1:]), layer])
    model(X, training=True)  # moves the moving statistics
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is BatchNormalization
    assert loaded.layers[0].get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded(X), model(X))
