"""`call_layers`: a functional network run through its layers' `call`.

PyTorch uses it for every zoo network (the backend matrix compares it with
Keras there); the code is backend-neutral, so its cases run here too.
"""

import keras
import numpy as np
import pytest

from keras_genimg.models import SpectralNormalization
from keras_genimg.models.backend.direct_calls import call_layers
from keras_genimg.models.networks import Network
from tests import model_checks


def _numpy(outputs):
    return [keras.ops.convert_to_numpy(y) for y in keras.tree.flatten(outputs)]


def _state(network):
    return [keras.ops.convert_to_numpy(v) for v in network.variables]


@pytest.mark.parametrize("training", [True, False])
def test_equals_keras_with_labels_batch_norm_and_spectral_norm(training):
    # The conditional GAN's generator (batch norm, an integer label input)
    # and discriminator (spectral norm wraps its layers, which it calls).
    model = model_checks.build("cgan", spectral_norm=True, diff_augment=None)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, model_checks.NUM_CLASSES, (4,))
    inputs = {
        "generator": [rng.normal(size=(4, model_checks.LATENT_DIM)), labels],
        "discriminator": [rng.random((4, *model_checks.SHAPE)), labels],
    }
    for name, network_inputs in inputs.items():
        network = getattr(model, name)
        network_inputs = [
            keras.ops.convert_to_tensor(x, "float32" if i == 0 else "int32")
            for i, x in enumerate(network_inputs)
        ]
        before = _state(network)
        ours = call_layers(network, network_inputs, training)
        ours_state = _state(network)
        for variable, value in zip(network.variables, before):
            variable.assign(value)
        through_keras = keras.Model(network.inputs, network.outputs)
        theirs = through_keras(network_inputs, training=training)
        for a, b in zip(_numpy(ours), _numpy(theirs), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6)
        # The same statistics and power-iteration vectors moved, or not.
        for a, b in zip(ours_state, _state(network), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6)
        moved = any(
            not np.array_equal(a, b) for a, b in zip(before, ours_state)
        )
        assert moved == training, name


def test_layers_inside_a_layer_take_the_training_flag_of_the_call():
    # A layer whose `call` calls a batch norm without passing `training`:
    # the batch norm reads it from Keras' call context, which the
    # network's `__call__` (here a layer's) opens around `call_layers`.
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.norm = keras.layers.BatchNormalization(momentum=0.0)

        def call(self, x):
            return self.norm(x)

    class Runs(keras.layers.Layer):
        def __init__(self, network):
            super().__init__()
            self.network = network

        def call(self, x, training=None):
            return call_layers(self.network, x, training)

    inputs = keras.Input((3,))
    network = Network(inputs, Block()(inputs))
    x = keras.ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(8, 3)), "float32"
    )
    outputs = _numpy(Runs(network)(x, training=True))[0]
    # Normalized by the batch's own statistics, which became the moving
    # ones (momentum 0).
    np.testing.assert_allclose(outputs.mean(axis=0), 0.0, atol=1e-5)
    moving_mean = network.layers[1].norm.moving_mean
    np.testing.assert_allclose(moving_mean, _numpy(x)[0].mean(axis=0), 1e-5)


def test_multiple_outputs_keep_their_structure():
    network = model_checks.build("vae").encoder
    x = keras.ops.ones((2, *model_checks.SHAPE))
    outputs = call_layers(network, x)
    assert isinstance(outputs, list) and len(outputs) == 2
    expected = keras.Model(network.inputs, network.outputs)(x)
    for a, b in zip(_numpy(outputs), _numpy(expected), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def _two_dense(dtype=None):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(2, dtype=dtype)(inputs)
    return Network(inputs, outputs)


def test_keras_runs_what_direct_calls_do_not_cover():
    x = keras.ops.ones((2, 3))
    assert call_layers(_two_dense(), x) is not None
    # Mixed precision: Keras' `__call__` casts the inputs and weights.
    assert call_layers(_two_dense("mixed_bfloat16"), x) is None
    # Inputs of another rank: Keras reshapes them.
    assert call_layers(_two_dense(), keras.ops.ones((2, 3, 1))) is None
    # A layer called twice.
    inputs = keras.Input((3,))
    shared = keras.layers.Dense(3)
    assert call_layers(Network(inputs, shared(shared(inputs))), x) is None

    # A layer that takes two tensor arguments.
    class Scale(keras.layers.Layer):
        def call(self, x, factor):
            return x * factor

    a, b = keras.Input((3,)), keras.Input((3,))
    assert call_layers(Network([a, b], Scale()(a, b)), [x, x]) is None
    # Symbolic inputs.
    assert call_layers(_two_dense(), keras.Input((3,))) is None


def test_a_network_saves_and_loads_on_its_own(tmp_path):
    network = model_checks.build("dcgan").generator
    path = tmp_path / "generator.keras"
    network.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, Network)
    z = keras.ops.convert_to_tensor(
        np.random.default_rng(0).normal(size=(2, model_checks.LATENT_DIM)),
        "float32",
    )
    np.testing.assert_allclose(
        *(_numpy(model(z))[0] for model in (loaded, network)), atol=1e-6
    )


def test_spectral_norm_layers_are_nested_calls():
    # Guards the premise of the discriminator case above.
    network = model_checks.build("sngan").discriminator
    assert any(isinstance(x, SpectralNormalization) for x in network.layers)


def test_only_an_eager_backend_replaces_the_networks_call():
    # On TensorFlow, AutoGraph would convert a `__call__` of ours in every
    # traced function (and warn where it cannot read the source).
    replaced = "__call__" in vars(Network)
    assert replaced == (keras.backend.backend() == "torch")
