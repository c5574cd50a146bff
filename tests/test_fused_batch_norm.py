"""FusedBatchNormalization gives what keras.layers.BatchNormalization gives."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_genimg.models.fused_batch_norm import FusedBatchNormalization

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
    fused = FusedBatchNormalization(dtype=dtype, **kwargs)
    keras_layer.build(X.shape)
    fused.build(X.shape)
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, w.shape) for w in keras_layer.weights]
    keras_layer.set_weights(weights)
    fused.set_weights(weights)
    return keras_layer, fused


@pytest.mark.parametrize(
    "dtype, tolerance",
    [("float32", 1e-5), ("mixed_bfloat16", 2e-2)],
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


def test_training_runs_one_fused_kernel_inference_does_not():
    layer = FusedBatchNormalization()
    assert "FusedBatchNormV3" in op_types(layer, X, training=True)
    assert "FusedBatchNormV3" not in op_types(layer, X, training=False)
    keras_ops = op_types(keras.layers.BatchNormalization(), X, training=True)
    assert "FusedBatchNormV3" not in keras_ops


def test_training_output_is_normalized_per_channel():
    y = np.asarray(FusedBatchNormalization()(X, training=True))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1.0, rtol=1e-2)


def test_inference_and_unfusable_inputs_are_keras_batch_norm():
    keras_layer, fused = twins()
    np.testing.assert_array_equal(fused(X), keras_layer(X))
    flat = X.reshape(8, -1)
    keras_flat = keras.layers.BatchNormalization()
    fused_flat = FusedBatchNormalization()
    np.testing.assert_array_equal(
        fused_flat(flat, training=True), keras_flat(flat, training=True)
    )
    channels_first = FusedBatchNormalization(axis=1)
    y = np.asarray(channels_first(X, training=True))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)


def test_config_round_trip_and_saving(tmp_path):
    layer = FusedBatchNormalization(momentum=0.9, epsilon=1e-4)
    model = keras.Sequential([keras.Input(X.shape[1:]), layer])
    model(X, training=True)  # moves the moving statistics
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.layers[0], FusedBatchNormalization)
    assert loaded.layers[0].get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded(X), model(X))
