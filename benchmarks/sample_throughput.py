"""Sampling throughput: `generate` in Keras and the exported SavedModel.

Trains nothing: builds (or loads) a model, exports it, then times images
per second of `model.generate(z=...)` and of the SavedModel's
`serving_default` signature loaded with TensorFlow alone, at batch sizes
1, 64 and 1024 (median of several calls after a warm-up call). Each
runtime runs in its own process, so its peak resident memory is its own.

    python benchmarks/sample_throughput.py [MODEL.keras ...]

Without arguments it measures freshly built DCGAN and VAE at 28x28x1.
"""

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH_SIZES = (1, 64, 1024)
REPEATS = 5


def time_calls(function, batch_size, latent_dim):
    import numpy as np

    z = np.random.default_rng(0).standard_normal((batch_size, latent_dim))
    z = z.astype("float32")
    function(z)  # warm-up: tracing, allocation
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function(z)
        seconds.append(time.perf_counter() - start)
    return batch_size / statistics.median(seconds)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_keras(model_path):
    import keras

    import keras_genimg  # noqa: F401  (registers the models)

    model = keras.models.load_model(model_path)
    rates = {
        n: time_calls(lambda z: model.generate(z=z), n, model.latent_dim)
        for n in BATCH_SIZES
    }
    return rates, peak_rss_mib()


def measure_saved_model(version_dir):
    import tensorflow as tf

    serve = tf.saved_model.load(version_dir).signatures["serving_default"]
    latent_dim = serve.structured_input_signature[1]["z"].shape[1]
    rates = {
        n: time_calls(lambda z: serve(z=tf.constant(z)), n, latent_dim)
        for n in BATCH_SIZES
    }
    return rates, peak_rss_mib()


def run_child(kind, path):
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def build_models(workdir):
    import keras_genimg  # noqa: F401
    from keras_genimg.export import export_saved_model
    from keras_genimg.models import DCGAN, VAE

    paths = []
    for model in (DCGAN((28, 28, 1), seed=0), VAE((28, 28, 1), seed=0)):
        path = Path(workdir) / f"{model.name}.keras"
        model.save(path)
        paths.append(path)
    return paths, export_saved_model


def main():
    if sys.argv[1:2] == ["--child"]:
        kind, path = sys.argv[2:4]
        measure = measure_keras if kind == "keras" else measure_saved_model
        rates, peak = measure(path)
        print(json.dumps({"rates": rates, "peak_mib": peak}))
        return

    import keras

    workdir = tempfile.mkdtemp()
    if sys.argv[1:]:
        from keras_genimg.export import export_saved_model

        paths = [Path(p) for p in sys.argv[1:]]
    else:
        paths, export_saved_model = build_models(workdir)
    header = (
        f"{'model':8} {'runtime':12} "
        + " ".join(f"{f'batch {n}':>11}" for n in BATCH_SIZES)
        + f" {'peak RSS':>9}"
    )
    print("images per second (median of 5 calls)")
    print(header)
    print("-" * len(header))
    for path in paths:
        model = keras.models.load_model(path)
        export = export_saved_model(model, Path(workdir) / path.stem)
        for kind, target in (("keras", path), ("saved_model", export)):
            result = run_child(kind, str(target))
            rates = " ".join(
                f"{result['rates'][str(n)]:11.0f}" for n in BATCH_SIZES
            )
            print(
                f"{type(model).__name__:8} {kind:12} {rates} "
                f"{result['peak_mib']:7.0f} MiB"
            )


if __name__ == "__main__":
    main()
