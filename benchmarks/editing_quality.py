"""Image editing on MNIST: the zoo's models against scikit-image.

Trains the zoo's VAE and DCGAN (or loads them, `--vae FILE.keras`,
`--dcgan FILE.keras`; with `--ddpm FILE.keras`, also a trained diffusion
model) on the first 8,000 digits of the MNIST copy,
with their registry defaults, and restores the last 2,000 (`--count`),
digits none of them saw, after each corruption:

- masks `center` (14x14), `bottom-half` and `random:0.5`, restored by
  `keras_genimg.editing.inpaint` (the VAE by its default, inversion, and
  by encode-decode, the method of its exports' signatures), scikit-image's
  `restoration.inpaint_biharmonic` and a fill with the mean of the known
  pixels;
- Gaussian noise of sigma 0.3 and 0.5, restored by
  `keras_genimg.editing.denoise` (the diffusion model with the noise
  level estimated, and given as `noise_std`),
  `restoration.denoise_tv_chambolle` and
  `restoration.denoise_nl_means` (its sigma estimated by
  `restoration.estimate_sigma`, as a user would).

Reported for each: PSNR (dB) and SSIM on the unknown pixels and on the
whole image, and the accuracy of a held-out classifier (the judge of
`genimg judge`, trained on the first 8,000 digits) on the restored
digits, beside its accuracy on the originals and on the corrupted ones;
with `--ceiling`, also the accuracy of a classifier trained on masked
digits, about the best any filler followed by the judge can do.

    pip install -e ".[bench]"   # scikit-image and PyWavelets
    python benchmarks/editing_quality.py [--count 2000] [--epochs-vae 10]
        [--epochs-dcgan 15] [--train vae,dcgan] [--ddpm runs/ddpm/model.keras]
        [--vae FILE] [--dcgan FILE]
        [--corruptions gaussian:0.5] [--ceiling] [--json results.json]
        [--strip examples/images/mnist_editing.png]
"""

import argparse
import json
import time

import keras
import numpy as np

try:
    from skimage import metrics, restoration
except ImportError:  # the bench extra; parsing the arguments needs none
    metrics = restoration = None
from time_to_quality import MNIST

import keras_genimg  # noqa: F401  (registers the models)
from keras_genimg import editing, models
from keras_genimg.callbacks.image_grid import save_image_grid
from keras_genimg.data import load_arrays, load_images
from keras_genimg.metrics import train_judge

TRAIN = 8000
MASKS = ("center", "bottom-half", "random:0.5")
NOISES = ("gaussian:0.3", "gaussian:0.5")
ALL = MASKS + NOISES
STRIP_EXAMPLES = 4


def train(name, x, epochs):
    keras.utils.set_random_seed(0)
    entry = models.entry(name)
    model = models.get(name, image_shape=x.shape[1:],
                       latent_dim=entry.latent_dim, seed=0)  # fmt: skip
    model.compile()
    dataset = load_images(x, batch_size=entry.batch_size, seed=0)
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, shuffle=False, verbose=0)
    if model.latent_prior is not None:
        model.fit_prior(x)  # as `genimg train` does after every epoch
    print(f"trained {name}: {time.perf_counter() - start:.0f} s")
    return model


def scores(restored, originals, unknown, judge, labels):
    """PSNR and SSIM on the unknown pixels and the whole image, and the
    judge's accuracy."""
    squared = (restored - originals) ** 2
    psnr_all = 10 * np.log10(1.0 / np.maximum(squared.mean(), 1e-10))
    psnr_unknown = 10 * np.log10(1.0 / np.maximum(squared[unknown].mean(),
                                                  1e-10))  # fmt: skip
    ssim_maps = np.stack([
        metrics.structural_similarity(o[..., 0], r[..., 0], data_range=1.0,
                                      full=True)[1]
        for o, r in zip(originals, restored)
    ])[..., None]  # fmt: skip
    predicted = np.argmax(judge.predict(restored, verbose=0), axis=-1)
    return {
        "psnr_unknown": float(psnr_unknown),
        "psnr": float(psnr_all),
        "ssim_unknown": float(ssim_maps[unknown].mean()),
        "ssim": float(ssim_maps.mean()),
        "accuracy": float(np.mean(predicted == labels)),
    }


def per_image(function, images):
    return np.stack([function(image[..., 0])[..., None] for image in images])


def classical_inpaint(corrupted, mask):
    unknown = mask[..., 0] == 0
    biharmonic = np.stack([
        restoration.inpaint_biharmonic(image[..., 0], hole)[..., None]
        for image, hole in zip(corrupted, unknown)
    ])  # fmt: skip
    known_mean = (mask * corrupted).sum((1, 2, 3), keepdims=True) / (
        mask.sum((1, 2, 3), keepdims=True)
    )
    mean_fill = mask * corrupted + (1 - mask) * known_mean
    return {"biharmonic": biharmonic, "mean fill": mean_fill}


def classical_denoise(noisy):
    def nl_means(image):
        sigma = restoration.estimate_sigma(image)
        return restoration.denoise_nl_means(
            image, h=0.8 * sigma, sigma=sigma, patch_size=3,
            patch_distance=5, fast_mode=True,
        )  # fmt: skip

    return {
        "tv chambolle": per_image(
            lambda image: restoration.denoise_tv_chambolle(image, weight=0.1),
            noisy,
        ),
        "nl means": per_image(nl_means, noisy),
    }


def masked_classifier_accuracy(corruption, train_x, train_y, corrupted,
                               labels):  # fmt: skip
    """Accuracy on `corrupted` of a judge trained on the training digits
    under the same mask: how much the known pixels tell of the class."""
    mask = editing.make_mask(corruption, train_x.shape[1:], len(train_x),
                             seed=1)  # fmt: skip
    keras.utils.set_random_seed(0)
    classifier, _ = train_judge(mask * train_x + (1 - mask) * 0.5, train_y,
                                epochs=15, holdout=0.0, seed=0)  # fmt: skip
    predicted = np.argmax(classifier.predict(corrupted, verbose=0), axis=-1)
    return float(np.mean(predicted == labels))


def restore(corruption, originals, zoo, report_time=False):
    """Corrupts `originals` and restores them with every method.

    Returns:
        A dict method -> images (the originals and corrupted ones first),
        and a boolean array of the pixels the corruption made unknown.
    """
    if corruption in MASKS:
        mask = editing.make_mask(corruption, originals.shape[1:],
                                 len(originals), seed=0)  # fmt: skip
        corrupted = mask * originals + (1 - mask) * 0.5
        unknown = mask == 0
        restored = classical_inpaint(corrupted, mask)
    else:
        corrupted = editing.corrupt(originals, corruption, seed=0)
        unknown = np.ones_like(originals, bool)
        restored = classical_denoise(corrupted)
    methods = [(name, model, {}) for name, model in zoo.items()]
    if "vae" in zoo:  # also the method of the exports' signatures
        methods.insert(1, ("vae enc-dec", zoo["vae"],
                           {"method": "encode-decode"}))  # fmt: skip
    if "ddpm" in zoo and corruption not in MASKS:
        # The noise level given, as its maker knows it, beside estimated.
        sigma = float(corruption.split(":")[1])
        methods.append(("ddpm sigma", zoo["ddpm"], {"noise_std": sigma}))
    for name, model, options in methods:
        start = time.perf_counter()
        if corruption in MASKS:
            restored[name] = editing.inpaint(model, corrupted, mask, **options)
        else:
            restored[name] = editing.denoise(model, corrupted, **options)
        if report_time:
            print(f"  {corruption} {name}: {time.perf_counter() - start:.0f} s")
    return {"original": originals, "corrupted": corrupted, **restored}, unknown


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--epochs-vae", type=int, default=10)
    parser.add_argument("--epochs-dcgan", type=int, default=15)
    parser.add_argument(
        "--train",
        default="vae,dcgan",
        help="comma-separated zoo models to train and score (default: "
        "vae,dcgan; '' for none, e.g. to score only --ddpm)",
    )
    for name in ("vae", "dcgan", "ddpm"):
        parser.add_argument(
            f"--{name}",
            metavar="FILE",
            help=f"a trained {name} .keras file to score (instead of "
            "training one)",
        )
    parser.add_argument(
        "--corruptions",
        help=f"comma-separated corruptions to score (default: all of "
        f"{','.join(ALL)}); the strip shows every one",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also train a classifier on masked digits (15 epochs): its "
        "accuracy on the masked test digits is about what any filler "
        "followed by the judge can reach",
    )
    parser.add_argument("--json", help="write the table to this file")
    parser.add_argument("--strip", help="write example restorations here")
    args = parser.parse_args()
    chosen = args.corruptions.split(",") if args.corruptions else ALL
    if set(chosen) - set(ALL):
        parser.error(f"--corruptions: choose from {','.join(ALL)}")
    if set(filter(None, args.train.split(","))) - {"vae", "dcgan"}:
        parser.error("--train: choose from vae,dcgan")
    if restoration is None:
        parser.error('needs scikit-image: pip install -e ".[bench]"')

    x, y = load_arrays(args.data, with_labels=True)
    train_x, train_y = x[:TRAIN], y[:TRAIN]
    test_x, test_y = x[-args.count :], y[-args.count :]
    judge, accuracy = train_judge(train_x, train_y, seed=0)
    print(f"judge accuracy on its held-out digits: {accuracy:.3f}")
    epochs = {"vae": args.epochs_vae, "dcgan": args.epochs_dcgan}
    trained = set(filter(None, args.train.split(",")))
    zoo = {}
    for name in ("vae", "dcgan", "ddpm"):
        if getattr(args, name):  # a file given replaces the training
            zoo[name] = keras.models.load_model(getattr(args, name))
        elif name in trained:
            zoo[name] = train(name, train_x, epochs[name])

    results = {}
    for corruption in chosen:
        rows, unknown = restore(corruption, test_x, zoo, report_time=True)
        results[corruption] = {
            method: scores(images, test_x, unknown, judge, test_y)
            for method, images in rows.items()
        }
        if args.ceiling and corruption in MASKS:
            results[corruption]["masked classifier"] = {
                "accuracy": masked_classifier_accuracy(
                    corruption, train_x, train_y, rows["corrupted"], test_y
                )
            }
        print(f"\n{corruption}")
        print(f"{'method':14}{'PSNR unk':>10}{'PSNR':>8}{'SSIM unk':>10}"
              f"{'SSIM':>8}{'judge acc':>11}")  # fmt: skip
        for method, row in results[corruption].items():
            if "psnr" not in row:
                print(f"{method:50}{row['accuracy']:11.3f}")
                continue
            print(f"{method:14}{row['psnr_unknown']:10.2f}{row['psnr']:8.2f}"
                  f"{row['ssim_unknown']:10.3f}{row['ssim']:8.3f}"
                  f"{row['accuracy']:11.3f}")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.strip:
        # Every corruption on the first STRIP_EXAMPLES digits, whichever
        # were scored: one row per corruption and example, one column per
        # method (the inpainting and denoising rows have as many columns).
        examples = test_x[:STRIP_EXAMPLES]
        strips = [
            np.stack(list(restore(corruption, examples, zoo)[0].values()), 1)
            for corruption in ALL
        ]
        width = max(s.shape[1] for s in strips)
        rows = [
            np.concatenate(
                [s, np.full((len(s), width - s.shape[1], *s.shape[2:]), 0.5)],
                axis=1,
            )
            for s in strips
        ]
        grid = np.concatenate(rows).reshape(-1, *test_x.shape[1:])
        save_image_grid(args.strip, grid, num_columns=width)
        print(f"Wrote {args.strip}")


if __name__ == "__main__":
    main()
