"""`genimg inpaint` and `genimg denoise`: repair images with a model."""

from keras_genimg.cli.arguments import positive_int

STRIP_ROWS = 16


def add_parsers(commands):
    for name, what in (
        ("inpaint", "fill the unknown pixels of images (see --mask)"),
        ("denoise", "remove noise from images"),
    ):
        parser = commands.add_parser(
            name,
            help=what,
            description=(
                f"{what[0].upper()}{what[1:]} with a trained model (VAE or "
                "CVAE: inversion of the decoder from its prior's modes; "
                "GANs: inversion of the generator; ddpm: RePaint with "
                "resampling / SDEdit). Writes OUT/restored.npz (float32 "
                "images in [0, 1], and the labels of a conditional model) and "
                "OUT/strip.png: for the "
                f"first {STRIP_ROWS} images, corrupted | restored | "
                "original, when the originals are known."
            ),
        )
        parser.add_argument(
            "model", metavar="MODEL", help="a .keras file or a run folder"
        )
        parser.add_argument(
            "--images",
            required=True,
            metavar="SOURCE",
            help="images: an .npz, a folder of images or IDX files, ...",
        )
        if name == "inpaint":
            parser.add_argument(
                "--mask",
                default="center",
                help="center, left-half, bottom-half, random:P, "
                "box:X,Y,W,H, or an .npy of 0/1 (1 = known); default center",
            )
        else:
            parser.add_argument(
                "--noise",
                metavar="SPEC",
                help="corrupt the images first with gaussian:SIGMA or "
                "salt-and-pepper:AMOUNT (they are then the originals)",
            )
            parser.add_argument(
                "--noise-std",
                type=float,
                metavar="SIGMA",
                help="standard deviation of the noise on the [0, 1] scale, "
                "for a ddpm (default: estimated from the images)",
            )
        parser.add_argument(
            "--label",
            type=int,
            nargs="+",
            metavar="CLASS",
            help="class(es) of the images, for a conditional model, in "
            "turn (default: the labels of SOURCE)",
        )
        parser.add_argument("--limit", type=positive_int, help="first N images")
        parser.add_argument("--seed", type=int, default=0, help="random seed")
        parser.add_argument(
            "--out",
            required=True,
            metavar="DIR",
            help="folder for restored.npz and strip.png",
        )
        parser.set_defaults(run=run, operation=name)


def run(args):
    import os

    import numpy as np

    from keras_genimg import data, editing
    from keras_genimg.callbacks.image_grid import save_image_grid
    from keras_genimg.models import load_model

    model = load_model(args.model, compile=False)
    height, width, channels = model.image_shape
    images, labels = data.load_arrays(
        args.images,
        image_size=(height, width),
        channels=channels,
        with_labels=model.is_conditional and args.label is None,
        limit=args.limit,
    )
    if args.label is not None:
        labels = np.resize(np.array(args.label, "int64"), len(images))
    originals = None
    if args.operation == "inpaint":
        mask_spec = args.mask
        if mask_spec.endswith(".npy"):
            mask_spec = np.load(mask_spec)
        mask = editing.make_mask(mask_spec, model.image_shape, len(images),
                                 seed=args.seed)  # fmt: skip
        originals = images
        corrupted = mask * images + (1.0 - mask) * 0.5
        restored = editing.inpaint(model, images, mask, labels, args.seed)
    else:
        corrupted = images
        if args.noise:
            originals = images
            corrupted = editing.corrupt(images, args.noise, seed=args.seed)
        restored = editing.denoise(model, corrupted, labels,
                                   noise_std=args.noise_std,
                                   seed=args.seed)  # fmt: skip
    os.makedirs(args.out, exist_ok=True)
    arrays = {"images": restored}
    if labels is not None:
        arrays["labels"] = labels
    np.savez(os.path.join(args.out, "restored.npz"), **arrays)
    columns = [corrupted, restored] + ([] if originals is None else [originals])
    strip = np.stack([c[:STRIP_ROWS] for c in columns], axis=1)
    save_image_grid(
        os.path.join(args.out, "strip.png"),
        strip.reshape(-1, *model.image_shape),
        num_columns=len(columns),
    )
    print(
        f"Wrote {len(restored)} restored images to {args.out}/restored.npz "
        f"and {args.out}/strip.png"
    )
