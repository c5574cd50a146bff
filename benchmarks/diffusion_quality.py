"""The diffusion model on MNIST: FCD against training time and sampling
steps, and the speed of its sampler, in Keras and served.

Trains the zoo's `ddpm` as `genimg train ddpm` does (its registry
defaults, mixed bfloat16 where the CPU has it) for `--minutes` of
training wall-clock time, stopping the clock every `--every` epochs to
compute the judge FCD (`time_to_quality.py` explains it) of
`--curve-samples` samples at 50 DDIM steps. Then: the FCD of `--samples`
samples at 50 steps; the FCD at 10, 25, 50 and 100 steps on
`--curve-samples`; the time to generate 64 images with 50 steps, with
`generate` and with the exported `serving_default` signature (their
ratio); and a grid of samples.

    python benchmarks/diffusion_quality.py [--minutes 30] [--every 5]
        [--samples 5000] [--curve-samples 1000]
        [--grid benchmarks/ddpm_samples.png] [--json results.json]
"""

import argparse
import json
import tempfile
import time

import keras
import tensorflow as tf
from time_to_quality import MNIST, ZooContestant, judge_of

import keras_genimg  # noqa: F401  (registers the models)
from keras_genimg.callbacks.image_grid import save_image_grid
from keras_genimg.export import export_saved_model
from keras_genimg.metrics import (
    frechet_distance_from_features,
)
from keras_genimg.utils.precision import auto_mixed_precision

STEPS = (10, 25, 50, 100)
SPEED_BATCH = 64


def seconds_of(function, repeats=3):
    """Best wall-clock time of `function()` over `repeats` calls, after
    one call that compiles."""
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--curve-samples", type=int, default=1000)
    parser.add_argument("--grid", help="write 64 samples to this PNG")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()

    x, extractor, reference = judge_of(args.data)

    scores = {}  # of the model as trained so far, by (count, steps)

    def fcd(model, count, steps=None):
        key = (count, steps or model.sampling_steps)
        if key not in scores:
            images = model.generate(count, seed=1, steps=steps)
            features = extractor.extract(images).features
            scores[key] = frechet_distance_from_features(reference, features)
        return scores[key]

    precision, reason = auto_mixed_precision()
    policy = None if precision == "float32" else f"mixed_{precision}"
    print(f"precision {precision} ({reason})")
    contestant = ZooContestant("ddpm", "ddpm", policy=policy)
    contestant.start(x)
    model = contestant.model
    elapsed, epochs, curve = 0.0, 0, []
    while elapsed < args.minutes * 60:
        start = time.perf_counter()
        contestant.train_epoch()
        elapsed += time.perf_counter() - start
        scores.clear()
        epochs += 1
        if epochs % args.every == 0 or elapsed >= args.minutes * 60:
            curve.append((elapsed, fcd(model, args.curve_samples)))
            print(f"  epoch {epochs}: {elapsed:6.0f} s, FCD {curve[-1][1]:.2f}")

    final = fcd(model, args.samples)
    print(f"FCD of {args.samples} samples, 50 steps: {final:.2f}")
    by_steps = {s: fcd(model, args.curve_samples, s) for s in STEPS}
    for steps, value in by_steps.items():
        print(f"  {steps:3d} steps: FCD {value:.2f} ({args.curve_samples})")

    z = model.sample_latent(SPEED_BATCH, seed=2)
    keras_seconds = seconds_of(lambda: model.generate(z=z))
    with tempfile.TemporaryDirectory() as folder:
        served = tf.saved_model.load(export_saved_model(model, folder))
        signature = served.signatures["serving_default"]
        served_seconds = seconds_of(lambda: signature(z=tf.constant(z)))
    print(
        f"{SPEED_BATCH} images, 50 steps: generate {keras_seconds:.1f} s, "
        f"served {served_seconds:.1f} s "
        f"({served_seconds / keras_seconds:.2f}x)"
    )
    if args.grid:
        save_image_grid(args.grid, model.generate(z=z))
        print(f"Wrote {args.grid}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "precision": precision,
                    "epochs": epochs,
                    "curve": curve,
                    "fcd": final,
                    "fcd_by_steps": by_steps,
                    "generate_seconds": keras_seconds,
                    "served_seconds": served_seconds,
                },
                f,
                indent=1,
            )
    keras.backend.clear_session()


if __name__ == "__main__":
    main()
