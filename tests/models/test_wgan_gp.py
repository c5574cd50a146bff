"""Tests of WGANGP: the gradient penalty, the critic schedule and saving."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_genimg import models
from keras_genimg.export import export_saved_model
from keras_genimg.models import WGANGP
from keras_genimg.models import conditional_networks as networks
from keras_genimg.serving import signature_table as tables
from tests.serving_checks import zoo

SHAPE = (16, 16, 1)


def blob_images(num, seed=0):
    """One bright square per image at a random place."""
    rng = np.random.default_rng(seed)
    images = np.zeros((num,) + SHAPE, "float32")
    for image in images:
        top, left = rng.integers(0, 10, 2)
        image[top : top + 6, left : left + 6] = rng.uniform(0.7, 1.0)
    return images


def tiny(**kwargs):
    kwargs = {"latent_dim": 4, "filters": 8, "seed": 0, **kwargs}
    return WGANGP(image_shape=SHAPE, **kwargs)


def linear_critic(slope):
    """A critic `D(x) = w . x` with `||w|| = slope`: slope-Lipschitz."""
    critic = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(1, use_bias=False),
        ]
    )
    w = np.random.default_rng(0).standard_normal((int(np.prod(SHAPE)), 1))
    critic.set_weights([(slope * w / np.linalg.norm(w)).astype("float32")])
    return critic


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.mark.parametrize("slope,expected", [(1.0, 0.0), (10.0, 81.0)])
def test_gradient_penalty_of_linear_critics(slope, expected):
    gan = tiny()
    gan.critic = linear_critic(slope)
    real = blob_images(8) * 2 - 1
    fake = np.random.default_rng(1).uniform(-1, 1, real.shape)
    penalty = float(gan.gradient_penalty(real, fake.astype("float32")))
    # ||grad|| = slope everywhere: (slope - 1)^2.
    np.testing.assert_allclose(penalty, expected, atol=1e-4)


def penalty_weight_gradients(critic, images, input_gradient):
    """The gradients of `mean (||dD/dx|| - 1)^2` w.r.t. the critic's
    weights, as one `tf.function`, and the ops of its graph by type."""
    import tensorflow as tf

    weights = critic.trainable_variables

    @tf.function
    def gradients():
        with tf.GradientTape() as tape:
            grads = input_gradient(critic, images)
            norms = tf.sqrt(tf.reduce_sum(grads**2, axis=(1, 2, 3)))
            penalty = tf.reduce_mean((norms - 1.0) ** 2)
        grads = tape.gradient(penalty, weights)
        # A bias the input gradient does not depend on gets None here.
        return [penalty] + [
            tf.zeros_like(w) if g is None else g for g, w in zip(grads, weights)
        ]

    graph = gradients.get_concrete_function().graph
    kinds = [op.type for op in graph.get_operations()]
    return [np.asarray(g) for g in gradients()], kinds


def test_penalty_gradient_runs_no_convolution_backward_on_zeros():
    # TensorFlow records the derivative of LeakyReluGrad w.r.t. the ReLU's
    # input as zeros, which a penalty's second backward pass would carry
    # through every convolution of the critic's forward pass; the zoo's
    # LeakyReLU stops them. Same penalty and gradients as plain tapes.
    if keras.backend.backend() != "tensorflow":
        pytest.skip("counts TensorFlow graph ops")
    import tensorflow as tf

    from keras_genimg.models import backend

    def through_backend(critic, images):
        score = lambda x: (ops.sum(critic(x, training=True)), None)  # noqa: E731
        with tf.GradientTape() as tape:
            (value, _), grads = backend.value_and_input_grad(
                score, images, True
            )
        # The score comes back as a value: no gradient w.r.t. the weights.
        weights = critic.trainable_variables
        assert tape.gradient(value, weights) == [None] * len(weights)
        return grads

    def plain_tape(critic, images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            score = ops.sum(critic(images, training=True))
        return tape.gradient(score, images)

    critic = networks.build_wgan_critic(SHAPE, 8)
    images = tf.constant(blob_images(4) * 2 - 1)
    ours, our_ops = penalty_weight_gradients(critic, images, through_backend)
    plain, plain_ops = penalty_weight_gradients(critic, images, plain_tape)
    for a, b in zip(ours, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    for kind in ("Conv2DBackpropFilter", "Conv2DBackpropInput"):
        assert our_ops.count(kind) < plain_ops.count(kind), kind


@pytest.mark.slow
def test_one_step_makes_n_critic_critic_updates_on_split_batches():
    gan = tiny(n_critic=3)
    gan.compile()
    # Batches of 12, 12 and 2: a batch smaller than n_critic still trains,
    # on repeated images.
    history = gan.fit(blob_images(26), batch_size=12, epochs=1, verbose=0)
    assert int(gan.critic_optimizer.iterations) == 3 * 3
    assert int(gan.optimizer.iterations) == 3
    assert set(history.history) == {
        "critic_loss",
        "g_loss",
        "wasserstein",
        "gradient_penalty",
    }
    assert all(np.isfinite(v).all() for v in history.history.values())


@pytest.mark.slow
def test_critic_separates_real_from_a_frozen_generator():
    gan = tiny()
    gan.compile(
        critic_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
        g_optimizer=keras.optimizers.SGD(0.0),
    )
    history = gan.fit(blob_images(80), batch_size=20, epochs=3, verbose=0)
    wasserstein = history.history["wasserstein"]
    assert wasserstein[-1] > wasserstein[0] + 0.5
    assert (
        history.history["critic_loss"][-1]
        < history.history["critic_loss"][0] - 0.5
    )
    assert all(np.isfinite(v).all() for v in history.history.values())


@pytest.mark.slow
def test_generator_raises_a_frozen_critics_score():
    gan = tiny()
    gan.compile(
        critic_optimizer=keras.optimizers.SGD(0.0),
        g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9),
    )
    z = gan.sample_latent(32, seed=3)
    score_before = float(ops.mean(gan.critic(gan.generate(z=z) * 2 - 1)))
    history = gan.fit(blob_images(80), batch_size=20, epochs=4, verbose=0)
    score_after = float(ops.mean(gan.critic(gan.generate(z=z) * 2 - 1)))
    g_loss = history.history["g_loss"]
    assert g_loss[-1] < g_loss[0]
    assert score_after > score_before


def test_defaults_follow_the_paper():
    gan = tiny()
    gan.compile()
    assert gan.n_critic == 5 and gan.gp_weight == 10.0
    for optimizer in (gan.critic_optimizer, gan.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
        assert float(optimizer.beta_1) == pytest.approx(0.5)
        assert float(optimizer.beta_2) == pytest.approx(0.9)
    assert gan.critic_optimizer is not gan.g_optimizer
    assert not any(
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in gan.critic.layers
    )
    assert "Conv2D" in {type(layer).__name__ for layer in gan.critic.layers}
    with pytest.raises(ValueError, match="n_critic"):
        tiny(n_critic=0)


def test_config_round_trip():
    gan = WGANGP(SHAPE, latent_dim=5, filters=8, n_critic=3, gp_weight=2.5)
    config = gan.get_config()
    assert WGANGP.from_config(config).get_config() == config
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(gan)
    )
    assert type(revived) is WGANGP and revived.get_config() == config
    assert isinstance(models.get("wgan_gp", image_shape=SHAPE), WGANGP)
    critic = networks.build_wgan_critic(SHAPE, 8)
    clone = keras.Model.from_config(critic.get_config())
    assert clone.get_config() == critic.get_config()


def test_exports_like_the_dcgan(tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("exports on TensorFlow (other backends: genimg export)")
    gan = tiny()
    gan.compile()
    path = export_saved_model(gan, tmp_path / "wgan_gp", warmup=False)
    assert tables.from_saved_model(path) == zoo.GOLDEN["dcgan"]


@pytest.mark.slow
def test_mixed_bfloat16_smoke():
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        gan = tiny()
        gan.compile()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    history = gan.fit(blob_images(20), batch_size=10, epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    conv = next(
        layer
        for layer in gan.critic.layers
        if isinstance(layer, keras.layers.Conv2D)
    )
    assert conv.compute_dtype == "bfloat16" and conv.kernel.dtype == "float32"
    assert gan.generate(num_images=2, seed=0).dtype == np.float32
