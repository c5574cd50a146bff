"""What an export holds, written beside its warmup requests."""

import json
import os

from keras_genimg import __version__

INFO_FILE = os.path.join("assets.extra", "keras_genimg.json")


def write_model_info(model, export_dir):
    """Writes `export_dir/assets.extra/keras_genimg.json`.

    The signatures say what goes in and out; this file says what made the
    export: the model's class, image shape, latent size, classes, and for
    a diffusion model the sampling steps its signatures run (fixed at
    export). TF Serving reads only its warmup file in `assets.extra`.

    Args:
        model: the zoo model being exported.
        export_dir: str. The SavedModel directory.

    Example:
    >>> # write_model_info(model, "saved_models/ddpm/1")
    >>> # model_info("saved_models/ddpm/1")["sampling_steps"]
    >>> # 50
    """
    info = {
        "model": type(model).__name__,
        "image_shape": list(model.image_shape),
        "latent_dim": model.latent_dim,
        "num_classes": model.num_classes,
        "keras_genimg_version": __version__,
    }
    if model.is_diffusion:
        info["sampling_steps"] = int(model.sampling_steps)
    path = os.path.join(export_dir, INFO_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(info, f, indent=1)


def model_info(export_dir):
    """What `write_model_info` wrote in `export_dir` (a dict; empty for
    exports made before the file existed).

    Example:
    >>> model_info("/nonexistent")
    {}
    """
    try:
        with open(os.path.join(export_dir, INFO_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
