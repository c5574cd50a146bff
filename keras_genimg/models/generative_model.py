"""Base class shared by the zoo's latent-variable image generators."""

import contextlib
import inspect

import keras
import numpy as np
from keras import ops

from keras_genimg.models import backend
from keras_genimg.models.argument_checks import (
    check_count,
    check_image_batch,
    check_number,
    check_training_images,
)
from keras_genimg.models.networks import spatial_plan
from keras_genimg.models.replicas import (
    ReplicaSeedGenerator,
    scale_loss_for_replicas,
)
from keras_genimg.models.trial_limits import limit_fit
from keras_genimg.models.weight_average import averaged_copy, update_average

GENERATE_BATCH_SIZE = 256
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)


class GenerativeModel(backend.Trainer, keras.Model):
    """A `keras.Model` that maps latent vectors (and labels) to images.

    Subclasses build their networks in `__init__`, implement
    `latent_to_images(z, labels=None)`, returning float32 images in
    [0, 1], and write their training step once, for every backend, as
    `train_batch(data)` and `test_batch(data)` with the helpers of
    `keras_genimg.models.backend` (Keras calls them through
    `train_step` and `test_step`). This class provides the public
    sampling API (`sample_latent`, `generate`), the input checks behind
    it, the moving average of a network's weights that the GANs and the
    diffusion model sample with (`keep_weight_average`), and the config
    entries every model shares.

    A model with `num_classes` set is class-conditional: its batches are
    `(images, labels)` and `generate` takes `labels`; without them it
    cycles through the classes (image `i` gets class `i % num_classes`),
    so tools written for unconditional models (sample grids, metrics,
    `genimg sample`) get a balanced draw.

    Args:
        image_shape: tuple. `(height, width, channels)` of the images.
        latent_dim: int. Size of the latent vector.
        num_classes: int or None. Number of classes of a class-conditional
            model (labels are ints in `[0, num_classes)`); None for an
            unconditional one.
        seed: int or None. Seed of the model's own `SeedGenerator`, used
            for the randomness inside training steps.
        **kwargs: passed to `keras.Model` (`name`, `dtype`, ...).
    """

    # True for models that encode images (`encode`, `reconstruct`).
    is_autoencoder = False
    # True for models that sample by denoising (`schedule`, `sample`,
    # `sampling_steps`).
    is_diffusion = False

    def __init__(
        self, image_shape, latent_dim, num_classes=None, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        # Checked once here; the networks are built from this plan.
        self.spatial_plan = spatial_plan(image_shape)
        self.image_shape = self.spatial_plan.image_shape
        self.latent_dim = check_count("latent_dim", latent_dim)
        if num_classes is not None and (
            not isinstance(num_classes, (int, np.integer)) or num_classes < 2
        ):
            raise ValueError(
                "`num_classes` must be None or an int >= 2. Received: "
                f"{num_classes!r}"
            )
        self.num_classes = None if num_classes is None else int(num_classes)
        self.seed = seed
        # A `GaussianMixturePrior` that `sample_latent` draws from, or None
        # for N(0, I). (An instance attribute: on PyTorch, a class
        # attribute would hide a layer assigned later.)
        self.latent_prior = None
        self.seed_generator = ReplicaSeedGenerator(seed)
        # Keras saves a seed generator's state with neither `save` nor
        # `save_weights`; tracked as a weight of the model, it is saved and
        # restored, so a resumed run draws the noise an unbroken one would.
        self.seed_state = self.seed_generator.state
        self._compiled_latent_to_images = None
        # The network whose weights `keep_weight_average` averages.
        self._averaged_network = None
        self._use_ema = False

    @property
    def is_conditional(self):
        """Whether images depend on a class label (`num_classes` is set)."""
        return self.num_classes is not None

    @property
    def extra_optimizers(self):
        """Optimizers besides `self.optimizer` whose state the step updates.

        Empty here; a GAN lists its adversary's optimizer.
        """
        return []

    def policy_scope(self):
        """A scope that builds layers with this model's dtype policy.

        Subclasses build their networks inside it, so a model created
        under `mixed_bfloat16` (or loaded from a `.keras` file saved by
        one) computes in bfloat16 in every layer, whatever the global
        policy is when it is built.
        """
        return dtype_policy_scope(self.dtype_policy)

    # === Weight average ===

    def keep_weight_average(self, network_name, use_ema, ema_decay):
        """Keeps `ema_<network_name>`, an exponential moving average of the
        weights of the network `network_name` (Yazıcı et al., 2019), and
        samples with it while `use_ema` is True.

        Subclasses call it once their networks are built, and call
        `update_weight_average()` after each update of that network.
        Training goes on with the network itself.

        Args:
            network_name: str. The attribute holding the network, e.g.
                `"generator"`.
            use_ema: bool. Keep the average (else `ema_<network_name>` is
                None).
            ema_decay: float in [0, 1). Decay of the average per update
                (0: the average is the last weights).

        Example:
        >>> from keras_genimg.models import DCGAN
        >>> gan = DCGAN((16, 16, 1), latent_dim=4, filters=8)  # averages
        >>> gan.weight_average is gan.ema_generator, gan.use_ema
        (True, True)
        >>> gan.use_ema = False  # sample from the generator itself
        >>> gan.sampling_network is gan.generator
        True
        """
        self.ema_decay = check_number("ema_decay", ema_decay, 0.0, below=1.0)
        average = None
        if use_ema:
            with self.policy_scope():
                average = averaged_copy(
                    getattr(self, network_name), f"ema_{network_name}"
                )
        setattr(self, f"ema_{network_name}", average)
        self._averaged_network = network_name
        self._use_ema = bool(use_ema)

    def update_weight_average(self):
        """Moves the average towards the network's weights (in a step)."""
        average = self.weight_average
        if average is not None:
            network = getattr(self, self._averaged_network)
            update_average(
                average, network, self.ema_decay, self.optimizer.iterations
            )

    @property
    def weight_average(self):
        """The network holding the average of the weights, or None."""
        if self._averaged_network is None:
            return None
        return getattr(self, f"ema_{self._averaged_network}")

    @property
    def sampling_network(self):
        """The network sampling runs: the average while `use_ema`; None
        for a model that averages no network (the VAEs)."""
        if self._averaged_network is None:
            return None
        if self._use_ema:
            return self.weight_average
        return getattr(self, self._averaged_network)

    @property
    def use_ema(self):
        """Whether sampling uses the average of the weights; settable."""
        return self._use_ema

    @use_ema.setter
    def use_ema(self, value):
        if value and self.weight_average is None:
            fix = (
                "; build it with `use_ema=True`"
                if self._averaged_network
                else ""
            )
            raise ValueError(
                f"This {type(self).__name__} keeps no average of its "
                f"weights to sample with{fix}."
            )
        self._use_ema = bool(value)
        self._compiled_latent_to_images = None

    # === Sampling ===

    def latent_to_images(self, z, labels=None, training=False):
        """Maps latent vectors `(batch, latent_dim)` (and, for a conditional
        model, int labels `(batch,)`) to images in [0, 1]."""
        raise NotImplementedError

    def latent_to_images_compiled(self, z, labels=None):
        """`latent_to_images` for inference, compiled once and reused.

        On the TensorFlow backend this is a `tf.function` traced once for
        any batch size, so sampling one image costs a graph call rather
        than an eager pass through every layer; on JAX, a `jax.jit`
        (traced once per batch size) that reads the current weights.

        A model compiled with `run_eagerly=True` samples eagerly too, as
        Keras' `predict` then runs, so that a breakpoint in a network
        stops there.

        Args:
            z: float32 latent vectors `(batch, latent_dim)`.
            labels: int32 labels `(batch,)` of a conditional model, or None.

        Returns:
            The images as a tensor, float32 in [0, 1].
        """
        if self.run_eagerly:
            if self.is_conditional:
                return self.latent_to_images(z, labels=labels)
            return self.latent_to_images(z)
        if self._compiled_latent_to_images is None:
            self._compiled_latent_to_images = self._compile_sampling()
        if self.is_conditional:
            return self._compiled_latent_to_images(z, labels)
        return self._compiled_latent_to_images(z)

    def _compile_sampling(self):
        if self.is_conditional:

            def function(z, labels):
                return self.latent_to_images(z, labels=labels)

        else:

            def function(z):
                return self.latent_to_images(z)

        specs = [((None, self.latent_dim), "float32")]
        if self.is_conditional:
            specs.append(((None,), "int32"))
        # A function of its own per model: TensorFlow counts traces per
        # Python function and would warn about "retracing" when a process
        # builds many models.
        return backend.compiled(function, self.variables, input_specs=specs)

    def sample_latent(self, num_images, seed=None):
        """Draws latent vectors from the prior: N(0, I), or the model's
        `latent_prior` where it has one (see `latent_prior`).

        Args:
            num_images: int. How many vectors to draw.
            seed: int or None. The same seed gives the same vectors.

        Returns:
            A float32 numpy array of shape `(num_images, latent_dim)`.
        """
        num_images = check_count("num_images", num_images)
        if self.latent_prior is not None:
            return self.latent_prior.sample(num_images, seed)
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_images, self.latent_dim)).astype(
            "float32"
        )

    def prior_parameters(self):
        """The parameters of a fitted Gaussian-mixture prior, `(weights,
        means, scales)` as numpy arrays (see `latent_prior`), or None where
        the prior is N(0, I)."""
        if self.latent_prior is None:
            return None
        return self.latent_prior.parameters()

    def generate(
        self, num_images=None, z=None, seed=None, labels=None, batch_size=None
    ):
        """Generates images from latent vectors or from the prior.

        Give `z`, or `num_images` (with an optional `seed`), or for a
        conditional model only `labels`, one per image.

        Args:
            num_images: int or None. How many images to draw from the prior.
            z: array or None. Latent vectors `(batch, latent_dim)`.
            seed: int or None. Seed of the prior draw when `z` is None.
            labels: int, int array `(batch,)` or None. For a conditional
                model, the class of each image; one int gives every image
                that class. Defaults to None: image `i` gets class
                `i % num_classes`. Unconditional models take none.
            batch_size: int or None. Images computed per call of the
                network. Defaults to 256.

        Returns:
            A float32 numpy array `(batch, H, W, C)` with values in [0, 1].
        """
        z = self._latent_for(num_images, z, seed, labels)
        labels = self.check_labels(labels, len(z))
        if labels is None:
            return self._generate_in_batches(batch_size, z)
        return self._generate_in_batches(batch_size, z, labels)

    def _latent_for(self, num_images, z, seed, labels=None):
        """The checked latent vectors `generate` decodes.

        Args:
            num_images: int or None. How many vectors to draw when `z` is
                None; defaults to one per label when `labels` is a list.
            z: array or None. Latent vectors `(batch, latent_dim)`.
            seed: int or None. Seed of the prior draw when `z` is None.
            labels: the labels passed to `generate`, or None.

        Returns:
            A float32 numpy array `(batch, latent_dim)`.
        """
        if z is None and num_images is None and np.ndim(labels) == 1:
            num_images = len(labels)
        if z is None:
            if num_images is None:
                raise ValueError(
                    "Pass `num_images`, `z` or (conditional models) one "
                    "label per image in `labels`."
                )
            z = self.sample_latent(num_images, seed=seed)
        elif num_images is not None and num_images != len(z):
            raise ValueError(
                f"`num_images`={num_images} does not match the {len(z)} "
                "latent vectors in `z`; pass only one of them."
            )
        return self.check_latent(z)

    def _generate_in_batches(self, batch_size, *inputs):
        """Runs `latent_to_images_compiled` over checked per-image inputs.

        Args:
            batch_size: int or None. Images computed per call of the
                network. Defaults to 256.
            *inputs: numpy arrays with one row per image: the latent
                vectors, then, for a conditional model, the labels.

        Returns:
            A float32 numpy array `(batch, H, W, C)` with values in [0, 1].
        """
        batch_size = generate_batch_size(batch_size)
        chunks = [
            ops.convert_to_numpy(
                self.latent_to_images_compiled(
                    *(x[i : i + batch_size] for x in inputs)
                )
            )
            for i in range(0, len(inputs[0]), batch_size)
        ]
        return np.concatenate(chunks).astype("float32")

    # === Input checks ===

    @property
    def latent_shape(self):
        """The shape of one latent vector in a SavedModel's `z` input:
        `(latent_dim,)`; a diffusion model's noise has its image shape."""
        return (self.latent_dim,)

    def check_latent(self, z):
        """Returns `z` as float32 numpy `(batch, latent_dim)` or raises.

        `z` may also be shaped `(batch, *latent_shape)`: a diffusion
        model's noise as images.
        """
        z = np.asarray(z)
        if not np.issubdtype(z.dtype, np.floating):
            raise ValueError(
                f"Latent vectors must be floating point. Received dtype "
                f"{z.dtype}."
            )
        if len(self.latent_shape) > 1 and z.shape[1:] == self.latent_shape:
            z = z.reshape(len(z), self.latent_dim)
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(
                f"Latent vectors must have shape (batch, {self.latent_dim}) "
                f"with batch >= 1. Received shape {z.shape}."
            )
        return z.astype("float32")

    def check_labels(self, labels, num_images):
        """Returns a conditional model's labels as int32 `(num_images,)`,
        and None for an unconditional model, which takes none.

        Args:
            labels: int, int array `(num_images,)` or None (classes in
                turn: `0, 1, ..., num_classes - 1, 0, ...`).
            num_images: int. How many images the labels are for.

        Returns:
            An int32 numpy array of shape `(num_images,)`, or None.

        Example:
        >>> from keras_genimg.models import DCGAN
        >>> gan = DCGAN((16, 16, 1), num_classes=3, filters=8)
        >>> gan.check_labels(None, 5).tolist(), gan.check_labels(2, 2).tolist()
        ([0, 1, 2, 0, 1], [2, 2])
        """
        if not self.is_conditional:
            if labels is None:
                return None
            raise ValueError(
                f"This {type(self).__name__} is unconditional and takes no "
                "`labels`; build it with `num_classes` to condition it on "
                "a class."
            )
        if labels is None:
            return np.arange(num_images, dtype="int32") % self.num_classes
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((num_images,), labels)
        if labels.dtype.kind not in "iu" or labels.shape != (num_images,):
            raise ValueError(
                f"`labels` must be one int or {num_images} ints, one per "
                f"image. Received shape {labels.shape} and dtype "
                f"{labels.dtype}."
            )
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"`labels` must be in [0, {self.num_classes}). Received "
                f"values from {labels.min()} to {labels.max()}."
            )
        return labels.astype("int32")

    def check_images(self, images, argument="images"):
        """Returns images as float32 numpy `(batch, H, W, C)` or raises."""
        return check_image_batch(images, self.image_shape, argument)

    def check_training_data(self, x, y=None):
        """Raises unless `fit` data holds images this model takes.

        Arrays are checked with `check_images`; a `tf.data.Dataset` by
        the shape and dtype of its images. Conditional models also check
        the labels of arrays.

        Args:
            x: images `(batch, H, W, C)`, float in [0, 1], or a dataset of
                images or of `(images, labels)` batches.
            y: labels or None: for a conditional model, int labels
                `(batch,)` or `(batch, 1)` in `[0, num_classes)`.
        """
        check_training_images(x, self.image_shape)
        if not self.is_conditional:
            return
        if getattr(x, "element_spec", None) is not None or y is None:
            if isinstance(x, np.ndarray):
                self.require_labels(None)
            return
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        self.check_labels(labels, len(x))

    # === Training ===

    def step_labels(self, labels):
        """The labels a train or test step passes to the networks.

        Unconditional models ignore any labels a batch carries and return
        None; conditional models require them (`require_labels`).

        Args:
            labels: the batch's labels, or None.

        Returns:
            None, or int32 labels `(batch,)`.
        """
        if not self.is_conditional:
            return None
        return self.require_labels(labels)

    def require_labels(self, labels):
        """Fails a conditional model's training batch without labels."""
        if labels is None:
            raise ValueError(
                f"This conditional {type(self).__name__} trains on labelled "
                "data: pass batches of `(images, labels)` (e.g. "
                "`load_images(..., with_labels=True)` or `fit(x, y)`)."
            )
        return ops.cast(ops.reshape(labels, (-1,)), "int32")

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, with the data checked first.

        Bad images (wrong shape, rank or dtype) or labels fail at once,
        with a message naming the problem, before any step runs. See
        `check_training_data`. The environment variables of
        `trial_limits` can cap the epochs and steps.
        """
        self.check_training_data(x, y)
        arguments = _FIT_SIGNATURE.bind(self, x, y, *args, **kwargs)
        arguments.apply_defaults()
        options = dict(arguments.arguments)
        del options["self"]
        options["epochs"], options["steps_per_epoch"] = limit_fit(
            options["epochs"], options["steps_per_epoch"]
        )
        return super().fit(**options)

    # === Config ===

    def build_optimizers(self):
        """Creates the optimizer variables, so saved state can load."""
        self.optimizer.build(self.trainable_variables)

    def compile(self, *args, **kwargs):
        # `load_model` passes the compile config back, with `loss=None`.
        own_losses = [
            k for k, value in kwargs.items()
            if (k in ("loss", "loss_weights") or k.endswith("loss_fn"))
            and value is not None
        ]  # fmt: skip
        if own_losses:
            raise TypeError(
                f"{type(self).__name__} computes its own losses and takes no "
                f"`{own_losses[0]}`: compile it with its optimizers and "
                "Keras' options (jit_compile, steps_per_execution, ...); "
                f"see help({type(self).__name__}.compile)."
            )
        super().compile(*args, **kwargs)
        # Built now, a compiled model saves and restores its optimizer
        # state whether or not it has trained yet.
        self.build_optimizers()

    def loss_scaled(self, optimizer):
        """Wraps `optimizer` in a `LossScaleOptimizer` under float16.

        float16 gradients underflow without loss scaling; bfloat16 has
        float32's range and needs none. Keras wraps only `self.optimizer`
        on its own, so models with more optimizers wrap the others here.
        """
        optimizer = keras.optimizers.get(optimizer)
        if self.dtype_policy.name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def loss_for_gradients(self, optimizer, loss):
        """The loss a train step differentiates for `optimizer`'s update.

        Under `tf.distribute` the optimizer sums the replicas' gradients,
        so each replica's loss is divided by the number of replicas, as
        Keras' own `train_step` does; then `optimizer.scale_loss` applies
        the float16 loss scale. Metrics take the unscaled `loss`.

        Args:
            optimizer: the optimizer that applies the gradients.
            loss: float scalar tensor, the mean loss of this replica's
                share of the batch.

        Returns:
            The scaled loss, to differentiate.

        Example:
        >>> model = GenerativeModel(image_shape=(16, 16, 1), latent_dim=2)
        >>> optimizer = keras.optimizers.LossScaleOptimizer(
        ...     keras.optimizers.SGD(), initial_scale=8.0
        ... )
        >>> float(model.loss_for_gradients(optimizer, ops.array(0.5)))
        4.0
        """
        return optimizer.scale_loss(scale_loss_for_replicas(loss))

    def train_batch(self, data):
        """Updates the model on one batch; returns the logs.

        Written once with `keras.ops` and `keras_genimg.models.backend`, it
        runs on every backend. Keras calls it through `train_step`.
        """
        raise NotImplementedError

    def test_batch(self, data):
        """Scores one batch without training; returns the logs."""
        raise NotImplementedError

    def metric_logs(self):
        """The logs a step returns: every metric's result by its name.

        Under `tf.distribute` each replica's metrics hold its own share of
        the batch: Keras averages the step's logs over the replicas, and
        the epoch's logs read the metrics summed over all replicas.

        Returns:
            A dict mapping metric names to float tensors.
        """
        return backend.step_logs({m.name: m.result() for m in self.metrics})

    def load_own_variables(self, store):
        # Files saved before the seed state was kept hold no variable of
        # the model itself: load them with a fresh state.
        if len(store.keys()) == 0:
            return
        super().load_own_variables(store)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config:
            config["saved_on"] = keras.backend.backend()
        return config

    def compile_from_config(self, config):
        config = _backend_neutral(config)
        if config.pop("saved_on", None) != keras.backend.backend():
            # The file's `jit_compile` is what "auto" meant on the backend
            # that saved it (True on JAX, False on TensorFlow without a
            # GPU). Elsewhere it would compile the step with a compiler
            # that backend does not use for it (`torch.compile` cannot
            # take the WGAN-GP's double backward), or not compile a JAX
            # step at all: each backend resolves "auto" again.
            config["jit_compile"] = "auto"
        self.compile(**keras.saving.deserialize_keras_object(config))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim,
                "num_classes": self.num_classes,
                "seed": self.seed,
            }
        )
        if self._averaged_network is not None:
            # Whether the average exists (its weights are in the file),
            # and whether sampling uses it.
            config["use_ema"] = self.weight_average is not None
            config["ema_decay"] = self.ema_decay
            config["sample_with_ema"] = self._use_ema
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        sample_with_ema = config.pop("sample_with_ema", None)
        model = super().from_config(config)
        if sample_with_ema is not None:
            model.use_ema = sample_with_ema
        return model


def _backend_neutral(config):
    """A serialized compile config with Keras' optimizers named by their
    public module, `keras.optimizers`.

    Keras names an optimizer by the module of its class, and on PyTorch
    (or JAX) that is a backend's own (e.g. `keras.src.backend.torch.
    optimizers.torch_adam`): a file saved there would build that
    backend's optimizer on another, which cannot train. Keras'
    public name builds the running backend's.

    Example:
    >>> _backend_neutral({"optimizer": {"module": "keras.src.backend.torch."
    ...     "optimizers.torch_adam", "class_name": "Adam"}})
    {'optimizer': {'module': 'keras.optimizers', 'class_name': 'Adam'}}
    """
    if isinstance(config, list):
        return [_backend_neutral(value) for value in config]
    if not isinstance(config, dict):
        return config
    config = {key: _backend_neutral(value) for key, value in config.items()}
    module, name = config.get("module"), config.get("class_name")
    if (
        isinstance(module, str)
        and module.startswith("keras.src.backend.")
        and isinstance(getattr(keras.optimizers, str(name), None), type)
    ):
        config["module"] = "keras.optimizers"
    return config


@contextlib.contextmanager
def dtype_policy_scope(policy):
    """Sets Keras' global dtype policy inside the block, then restores it.

    Args:
        policy: str, `keras.DTypePolicy` or None (leave the policy as is).

    Example:
    >>> with dtype_policy_scope("mixed_bfloat16"):
    ...     layer = keras.layers.Dense(2)
    >>> layer.compute_dtype, layer.variable_dtype
    ('bfloat16', 'float32')
    """
    previous = keras.mixed_precision.dtype_policy()
    if policy is not None:
        keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def generate_batch_size(batch_size):
    """The images `generate` computes per call of the network:
    `batch_size`, checked, or `GENERATE_BATCH_SIZE` where it is None.

    Example:
    >>> generate_batch_size(None), generate_batch_size(8)
    (256, 8)
    """
    if batch_size is None:
        return GENERATE_BATCH_SIZE
    return check_count("batch_size", batch_size)


def network_inputs(x, labels):
    """A network's input: `x`, or `[x, labels]` when there are labels.

    Example:
    >>> network_inputs("z", None), network_inputs("z", "labels")
    ('z', ['z', 'labels'])
    """
    return x if labels is None else [x, labels]


def to_signed(images):
    """Maps images from [0, 1] to [-1, 1]."""
    return images * 2.0 - 1.0


def to_unit(images):
    """Maps images from [-1, 1] to [0, 1]."""
    return (images + 1.0) * 0.5
