"""Reading images (and labels) from a numpy `.npz` archive."""

import zipfile
import zlib

import numpy as np

from keras_genimg.data.errors import DataSourceError

ACCEPTED_KEYS = (
    "x_<split> with optional y_<split> (e.g. x_train, y_train), "
    "or x with optional y"
)


def load_npz(path, split="train"):
    """Images and labels of one split of an `.npz` archive.

    The archive holds `x_<split>` and optionally `y_<split>` (as the Keras
    data sets are laid out, e.g. `x_train`, `y_test`), or a single `x` and
    optional `y` used for any split.

    Args:
        path: Path. The `.npz` file.
        split: str. Which split to read. Defaults to `"train"`.

    Returns:
        `(x, y)`: the image array and the label array, or None when the
        archive has no labels for that split. Neither is checked yet.

    Example:

    ```python
    np.savez("data.npz", x_train=x_train, y_train=y_train)
    x, y = load_npz(Path("data.npz"), split="train")
    ```
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise _unreadable(path, err) from err
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataSourceError(
            f"The file {str(path)!r} is a single array, not an .npz archive."
            f" Accepted keys in an .npz archive: {ACCEPTED_KEYS}."
        )
    with archive:
        keys = list(archive.keys())
        x_key, y_key = _pick_keys(keys, split, path)
        try:
            x = archive[x_key]
            y = archive[y_key] if y_key in keys else None
        except (
            OSError,
            ValueError,
            EOFError,
            zipfile.BadZipFile,
            zlib.error,
        ) as err:
            raise _unreadable(path, err) from err
    return x, y


def _pick_keys(keys, split, path):
    if f"x_{split}" in keys:
        return f"x_{split}", f"y_{split}"
    if "x" in keys:
        return "x", "y"
    raise DataSourceError(
        f"The .npz file {str(path)!r} has no images for split {split!r}. "
        f"Keys found: {', '.join(keys) or 'none'}. Accepted keys: "
        f"{ACCEPTED_KEYS}."
    )


def _unreadable(path, err):
    return DataSourceError(
        f"The .npz file {str(path)!r} could not be read; it is corrupt, "
        f"truncated or not an .npz archive ({err})."
    )
