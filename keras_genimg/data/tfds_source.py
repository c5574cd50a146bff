"""Reading image data sets from TensorFlow Datasets (TFDS).

`tensorflow_datasets` is imported only when a TFDS source is used: the
import takes seconds.
"""

import socket

import numpy as np

from keras_genimg.data.errors import DataSourceError
from keras_genimg.utils.logs import errors_only

TFDS_NAMES = ("mnist", "fashion_mnist", "cifar10")
"""Data sets that may be named without the `tfds:` prefix."""

TFDS_PREFIX = "tfds:"

# Where TFDS downloads its data sets from. A data set that is not prepared
# locally is downloaded only if this answers within `PROBE_SECONDS`;
# otherwise TFDS would retry for minutes before failing.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_SECONDS = 5.0


def load_tfds(name, split="train", data_dir=None):
    """An unbatched dataset of one split of a TFDS image data set.

    Args:
        name: str. The TFDS name, e.g. `"mnist"` or `"celeb_a"`. The data
            set must have an `image` feature; its `label` feature, when
            present, gives the labels.
        split: str. A TFDS split, e.g. `"train"` or `"test[:10%]"`.
            Defaults to `"train"`.
        data_dir: str or None. Where TFDS keeps its data. Defaults to
            None, TFDS's own default (`~/tensorflow_datasets`).

    Returns:
        A `tf.data.Dataset` of `(image, label)`: uint8 images shaped
        (H, W, C) and int32 labels, or None for data sets without labels.

    Example:

    ```python
    ds = load_tfds("fashion_mnist", split="test")
    ```
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
        # TFDS warns through absl of every folder of a data set that is
        # not prepared; the error below says more, in one line.
        with errors_only("absl"):
            prepared = builder.is_prepared()
        if not prepared and not _can_download():
            raise ConnectionError(
                f"it is not prepared there and {DOWNLOAD_HOST[0]} cannot be "
                "reached to download it"
            )
        ds, info = tfds.load(
            name, split=split, data_dir=data_dir, with_info=True
        )
    except tfds.core.registered.DatasetNotFoundError as err:
        raise DataSourceError(
            f"{name!r} is not a TensorFlow Datasets data set. See "
            "tfds.list_builders() for the names, or pass a local path."
        ) from err
    except Exception as err:
        raise DataSourceError(
            _load_failed_message(name, data_dir, err)
        ) from err
    features = info.features
    keys = list(features.keys())
    image = features["image"] if "image" in keys else None
    if len(getattr(image, "shape", ())) != 3:
        raise DataSourceError(
            f"The TFDS data set {name!r} has no `image` feature of shape "
            f"(H, W, C); its features are: {', '.join(keys)}."
        )
    if np.dtype(image.np_dtype) != np.uint8:
        raise DataSourceError(
            f"The `image` feature of the TFDS data set {name!r} has dtype "
            f"{np.dtype(image.np_dtype)}; only uint8 images are supported."
        )
    if "label" in keys and features["label"].shape == ():
        return ds.map(lambda ex: (ex["image"], tf.cast(ex["label"], tf.int32)))
    return ds.map(lambda ex: (ex["image"], None))


def _can_download():
    try:
        socket.create_connection(DOWNLOAD_HOST, timeout=PROBE_SECONDS).close()
    except OSError:
        return False
    return True


def _load_failed_message(name, data_dir, err):
    where = data_dir or "~/tensorflow_datasets"
    cause = f"{type(err).__name__}: {err}"
    if len(cause) > 300:
        cause = cause[:300] + "..."
    return (
        f"Loading the TFDS data set {name!r} from {where} failed ({cause}). "
        "TFDS downloads and prepares a data set on first use, which needs "
        "internet access. To fix this, either:\n"
        f"  - on a machine with internet access, run `tfds build {name}` or "
        f'`python -c "import tensorflow_datasets as tfds; '
        f"tfds.load('{name}')\"`, then copy ~/tensorflow_datasets to this "
        "machine (to the same place, or pass its location as data_dir, "
        "`genimg train --data-dir DIR`);\n"
        "  - or point `source` at local files: a directory of MNIST-format "
        "IDX files, an .npz file, or a folder of images."
    )
