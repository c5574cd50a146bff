"""`genimg train`: train a zoo model on a data set and keep what it made."""

import argparse
import os
import sys
import tempfile

from keras_genimg.cli.arguments import model_name, model_option, positive_int
from keras_genimg.cli.errors import CommandError
from keras_genimg.distribute import STRATEGIES
from keras_genimg.utils.paths import check_export_dir, check_writable
from keras_genimg.utils.precision import auto_mixed_precision

RECONSTRUCTION_BATCH = 32
DIVERSITY_BATCH = 64
# The images a VAE's latent prior is fitted to after every epoch.
PRIOR_IMAGES = 10_000


def add_parser(commands):
    parser = commands.add_parser(
        "train",
        help="train a model and write sample grids, model.keras and "
        "history.json",
        description=(
            "Train a model with model.fit. Writes OUT/samples/epoch_NNNN.png "
            "after every epoch, OUT/model.keras (saved every epoch) and "
            "OUT/history.json (per-epoch logs)."
        ),
    )
    parser.add_argument(
        "model",
        type=model_name,
        help="model to train: vae, cvae, dcgan, cgan, sngan, wgan_gp or ddpm",
    )
    parser.add_argument(
        "--data",
        default="shapes",
        metavar="SOURCE",
        help="'shapes' (built-in, the default), 'simple-shapes' (built-in: "
        "centred, upright, one size), a TensorFlow Datasets name "
        "('mnist', 'fashion_mnist', 'cifar10', 'tfds:NAME'), a folder of "
        "MNIST IDX files, a .npz file, or a folder of images",
    )
    parser.add_argument("--split", default="train", help="data split")
    parser.add_argument(
        "--epochs",
        type=positive_int,
        help="epochs to train (default: the model's, as `genimg info` lists)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        help="images per step (default: the model's, as `genimg info` lists)",
    )
    parser.add_argument(
        "--latent-dim",
        type=positive_int,
        help="latent size (default: the model's, as `genimg info` lists; "
        "ddpm's is its image size)",
    )
    parser.add_argument(
        "--option",
        type=model_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="options",
        help="a constructor option of the model, repeatable, e.g. "
        "--option use_ema=false --option diff_augment=true (`genimg info "
        "MODEL` lists them with their defaults)",
    )
    parser.add_argument(
        "--image-size",
        type=positive_int,
        metavar="H",
        help="resize images to H x H (default: keep the data's size)",
    )
    parser.add_argument(
        "--channels",
        type=int,
        choices=(1, 3),
        help="convert images to 1 (gray) or 3 (RGB) channels",
    )
    parser.add_argument(
        "--limit", type=positive_int, help="use only the first N images"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where TensorFlow Datasets keeps its data sets (for --data "
        "mnist, fashion_mnist, cifar10, tfds:NAME; default "
        "~/tensorflow_datasets)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: runs/MODEL)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a finished run in OUT (its sample grids and backup are "
        "removed first; without it, a finished run is refused)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--export",
        metavar="DIR",
        help="after training, export for TF Serving as DIR/<next version> "
        "(e.g. saved_models/vae)",
    )
    parser.add_argument(
        "--mixed-precision",
        choices=("auto", "bfloat16", "float16", "float32"),
        default="auto",
        help="compute in this half precision, keeping float32 weights, "
        "losses and outputs, or in float32; 'auto' (the default) picks "
        "bfloat16 where the CPU has AVX-512 BF16 or AMX units or the GPU "
        "computes it natively, float32 elsewhere (float16 adds loss "
        "scaling)",
    )
    parser.add_argument(
        "--jit-compile",
        action=argparse.BooleanOptionalAction,
        help="compile the train step with XLA (default: as Keras decides, "
        "on with a GPU, off on CPU-only machines, where it is slower)",
    )
    parser.add_argument(
        "--steps-per-execution",
        type=positive_int,
        default=1,
        metavar="N",
        help="train steps run per call of the compiled function",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="default",
        help="'mirrored': every GPU of this machine; 'multiworker': every "
        "GPU of the machines in TF_CONFIG (run the same command on each; "
        "only the chief writes OUT); --batch-size is the global batch",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line "
        "per epoch (default: 1 on a terminal, else 2)",
    )
    parser.set_defaults(run=run)
    return parser


def run(args):
    import keras

    from keras_genimg import distribute, models
    from keras_genimg.cli import run_folder

    defaults = models.entry(args.model)
    args.epochs = args.epochs or defaults.epochs
    options = dict(args.options)
    known = models.options(args.model)
    for key in options:
        if key in models.SET_BY_TRAINING:
            flag = key.replace("_", "-")
            raise CommandError(
                f"--option {key}: genimg train sets {key} itself"
                + (f"; use --{flag}" if key in ("latent_dim", "seed") else "")
            )
        if key not in known:
            raise CommandError(
                f"--option {key}: {args.model} has no such option; it has "
                f"{', '.join(known)}"
            )
    # First: a multi-worker strategy must exist before TensorFlow starts.
    try:
        strategy = distribute.get_strategy(args.strategy)
    except ValueError as err:
        raise CommandError(str(err)) from None
    chief = distribute.is_chief(strategy)
    precision, reason = args.mixed_precision, "as asked"
    if precision == "auto":
        precision, reason = auto_mixed_precision()
        reason = f"auto: {reason}"
    print(
        f"Training {args.model} on {keras.backend.backend()}, "
        f"precision {precision} ({reason})"
    )
    out = args.out or os.path.join("runs", args.model)
    # Before any work: a typo in an output path must not cost a run.
    check_writable(out)
    if args.export:
        check_export_dir(args.export)
    if not chief:
        # Every worker runs the same callbacks (saving reads synchronised
        # variables together); the others write to a folder of their own.
        # Removed when the run ends, however it ends.
        worker_folder = tempfile.TemporaryDirectory(prefix="genimg-worker-")
        out = worker_folder.name
    with run_folder.claim(out, overwrite=args.overwrite):
        _train(args, out, defaults, options, strategy, chief, precision)
    if not chief:
        worker_folder.cleanup()


def _train(args, out, defaults, options, strategy, chief, precision):
    """Trains into the claimed folder `out`; the chief exports when asked."""
    import keras

    from keras_genimg import callbacks, data, models
    from keras_genimg.callbacks.history_json import write_json_atomic
    from keras_genimg.cli.backend_process import run_on_backend
    from keras_genimg.cli.run_folder import BACKUP_FOLDER

    keras.utils.set_random_seed(args.seed)
    # One pass over the source: the training data, its shape and classes,
    # and a fixed batch of real images (the autoencoders' reconstruction
    # grids, and the diversity the GANs' samples are compared with).
    training_data = data.load_dataset(
        args.data,
        split=args.split,
        image_size=args.image_size,
        channels=args.channels,
        batch_size=args.batch_size or defaults.batch_size,
        with_labels=defaults.conditional,
        seed=args.seed,
        limit=args.limit,
        data_dir=args.data_dir,
        num_first=PRIOR_IMAGES
        if {**defaults.options, **options}.get("prior_components")
        else max(RECONSTRUCTION_BATCH, DIVERSITY_BATCH),
    )
    dataset = training_data.dataset
    extra = {}
    if defaults.conditional:
        extra["num_classes"] = training_data.num_classes
    latent_dim = args.latent_dim or defaults.latent_dim
    if latent_dim is not None:
        extra["latent_dim"] = latent_dim
    policy = None if precision == "float32" else f"mixed_{precision}"
    with models.dtype_policy_scope(policy), strategy.scope():
        try:
            model = models.get(
                args.model,
                image_shape=training_data.image_shape,
                seed=args.seed,
                **extra,
                **options,
            )
        except ValueError as err:
            raise CommandError(str(err)) from None
        model.compile(
            jit_compile="auto"
            if args.jit_compile is None
            else args.jit_compile,
            steps_per_execution=args.steps_per_execution,
        )

    monitors, fixed_batch, fixed_labels = [], None, None
    if model.latent_prior is not None:
        labels = training_data.first_labels if defaults.conditional else None
        monitors = [callbacks.PriorFit(training_data.first_images, labels)]
    if model.is_autoencoder:
        fixed_batch = training_data.first_images[:RECONSTRUCTION_BATCH]
        if defaults.conditional:
            fixed_labels = training_data.first_labels[:RECONSTRUCTION_BATCH]
    else:
        real = training_data.first_images[:DIVERSITY_BATCH]
        monitors = [callbacks.ModeCollapseMonitor(real, seed=args.seed)]
    os.makedirs(out, exist_ok=True)
    config = {k: v for k, v in vars(args).items() if k != "run"}
    config.update(
        mixed_precision=precision,
        options=options,
        backend=keras.backend.backend(),
    )
    # Recorded once training starts, after the backup (if any) has loaded:
    # a resume refused for other arguments leaves the run's record as it
    # was.
    record_config = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: write_json_atomic(
            os.path.join(out, "config.json"), config
        )
    )
    # A backup restores on this machine only; the other workers would start
    # over and wait for it, so multi-worker runs keep none. It holds the
    # weights, both optimizers' state and the model's random-generator
    # state after every epoch, and is deleted once training completes.
    backup = []
    if args.strategy != "multiworker":
        backup = [callbacks.TrainingBackup(os.path.join(out, BACKUP_FOLDER))]
    done = backup[0].completed_epochs() if backup else 0
    if done:
        print(f"Resuming {out} after epoch {done} of {args.epochs}")
        callbacks.skip_shuffles(dataset, done)
    # Ctrl-C or SIGTERM stops training after the step it came in.
    with callbacks.StopOnSignal() as stop_on_signal:
        model.fit(
            dataset,
            epochs=args.epochs,
            verbose=_verbosity(args.verbose),
            shuffle=False,  # the data set shuffles itself
            callbacks=[
                # First, so that no epoch-end save sees a diverged model.
                callbacks.DivergenceGuard(),
                # Before HistoryJSON, which then records `sample_diversity`;
                # a refitted prior before the grids and saves.
                *monitors,
                callbacks.SampleGrid(
                    os.path.join(out, "samples"),
                    seed=args.seed,
                    reconstruction_images=fixed_batch,
                    reconstruction_labels=fixed_labels,
                ),
                callbacks.AtomicCheckpoint(os.path.join(out, "model.keras")),
                callbacks.HistoryJSON(os.path.join(out, "history.json")),
                # An epoch counts as done once all of the above are saved.
                *backup,
                record_config,
                stop_on_signal,
            ],
        )
    if not chief:
        return
    print(f"Wrote {out}/samples/, {out}/model.keras and {out}/history.json")
    if not args.export:
        return
    if keras.backend.backend() != "tensorflow":
        # Writing a SavedModel takes TensorFlow: export the saved file
        # the way `genimg export` does, on the TensorFlow backend.
        model_path = os.path.join(out, "model.keras")
        if run_on_backend(
            "tensorflow", ["export", model_path, "--to", args.export]
        ):
            raise CommandError(f"could not export {model_path}")
        return
    from keras_genimg.export import ExportError, export_saved_model

    try:
        path = export_saved_model(model, args.export)
    except ExportError as err:
        raise CommandError(str(err)) from None
    print(f"Exported to {path}")


def _verbosity(verbose):
    """Keras' progress bar redraws itself: in a log file it leaves one line
    per step, so output that is not a terminal gets one line per epoch."""
    if verbose is not None:
        return verbose
    return 1 if sys.stdout.isatty() else 2
