"""Reading MNIST-format IDX files (plain or gzip) from a directory.

A directory holds `<prefix>-images-idx3-ubyte[.gz]` files and optional
matching `<prefix>-labels-idx1-ubyte[.gz]` files, as MNIST, Fashion-MNIST
and EMNIST are distributed (a `.` in place of the `-` before `idx` is
accepted too).
"""

import gzip
import math
import re
import zlib
from pathlib import Path

import numpy as np

from keras_genimg.data.errors import DataSourceError

IMAGES_MAGIC = 0x00000803  # uint8, 3 dimensions.
LABELS_MAGIC = 0x00000801  # uint8, 1 dimension.
# Deflate stores at most about 1,032 bytes in one compressed byte.
MAX_DEFLATE_RATIO = 1032

_IMAGES_RE = re.compile(
    r"^(?P<prefix>.+)-images(?P<sep>[-.])idx3-ubyte(\.gz)?$"
)
_SPLIT_TOKENS = {"train": ("train",), "test": ("t10k", "test")}


def read_idx(path, magic):
    """Read one uint8 IDX file into a numpy array, checking its header.

    Args:
        path: str or Path. The file, gzip-compressed if its name ends in
            `.gz`.
        magic: int. The expected magic number: `IMAGES_MAGIC` or
            `LABELS_MAGIC`.

    Returns:
        A uint8 array shaped as the dimensions in the header.

    Example:

    ```python
    labels = read_idx("mnist/t10k-labels-idx1-ubyte.gz", LABELS_MAGIC)
    ```
    """
    path = Path(path)
    compressed = path.name.endswith(".gz")
    opener = gzip.open if compressed else open
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    try:
        with opener(path, "rb") as f:
            header = f.read(header_size)
            dims = _check_header(path, header, magic, header_size)
            expected = math.prod(dims)
            # Read what the header promises (and one byte more, to tell a
            # longer file), never more: a small gzip file that inflates
            # to gigabytes costs no more memory than its header declares,
            # and a plain file is not read past its size.
            size = path.stat().st_size
            if compressed and header_size + expected > size * MAX_DEFLATE_RATIO:
                raise DataSourceError(
                    f"IDX file {str(path)!r} is corrupt: its header promises "
                    f"{expected:,} bytes for shape {dims}, more than a gzip "
                    f"file of {size:,} bytes can hold."
                )
            if not compressed and header_size + expected > size:
                raise _truncated(path, expected, dims, size - header_size)
            data = f.read(expected + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise DataSourceError(
            f"IDX file {str(path)!r} could not be read; it is corrupt or "
            f"truncated ({err})."
        ) from err
    if len(data) < expected:
        raise _truncated(path, expected, dims, len(data))
    if len(data) > expected:
        raise DataSourceError(
            f"IDX file {str(path)!r} is corrupt: its header promises "
            f"{expected} bytes of data for shape {dims}, found more."
        )
    return np.frombuffer(data, np.uint8).reshape(dims)


def _truncated(path, expected, dims, found):
    return DataSourceError(
        f"IDX file {str(path)!r} is truncated: its header promises "
        f"{expected} bytes of data for shape {dims}, found {found}."
    )


def _check_header(path, header, magic, header_size):
    """The dimensions an IDX header declares, once it is checked."""
    if len(header) < header_size:
        raise DataSourceError(
            f"IDX file {str(path)!r} is truncated: {len(header)} bytes is "
            "shorter than its header."
        )
    found = int.from_bytes(header[:4], "big")
    if found != magic:
        raise DataSourceError(
            f"IDX file {str(path)!r} is corrupt or of the wrong kind: magic "
            f"number 0x{found:08x}, expected 0x{magic:08x}."
        )
    return tuple(
        int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big")
        for i in range(magic & 0xFF)
    )


def is_idx_dir(path):
    """Whether `path` is a directory holding IDX image files.

    Args:
        path: Path. Any path.

    Returns:
        bool.

    Example:

    ```python
    is_idx_dir(Path("mnist"))
    ```
    """
    return path.is_dir() and bool(_image_files(path))


def load_idx(path, split="train"):
    """Images (and labels, when present) of one split of an IDX directory.

    The images file whose prefix names the split is used (`train` for
    `"train"`, `t10k` or `test` for `"test"`); a directory holding a
    single images file uses it for any split.

    Args:
        path: Path. A directory of IDX files, or one images file.
        split: str. Which split to read. Defaults to `"train"`.

    Returns:
        `(images, labels)`: uint8 images shaped (N, H, W) and uint8
        labels shaped (N,), or None when there is no labels file.

    Example:

    ```python
    x, y = load_idx(Path("mnist"), split="test")
    ```
    """
    images_path = path if path.is_file() else _pick_images(path, split)
    images = read_idx(images_path, IMAGES_MAGIC)
    labels_path = _labels_for(images_path)
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(labels) != len(images):
        raise DataSourceError(
            f"IDX labels file {str(labels_path)!r} has {len(labels)} labels "
            f"but {str(images_path)!r} has {len(images)} images."
        )
    return images, labels


def _image_files(directory):
    found = {}
    for file in sorted(directory.iterdir()):
        match = _IMAGES_RE.match(file.name)
        if match and file.is_file():
            stem = file.name.removesuffix(".gz")
            # Prefer the uncompressed copy when both are present.
            if stem not in found or not file.name.endswith(".gz"):
                found[stem] = file
    return list(found.values())


def _pick_images(directory, split):
    files = _image_files(directory)
    if len(files) == 1:
        return files[0]
    tokens = _SPLIT_TOKENS.get(split, (split,))
    chosen = [
        file
        for file in files
        if set(re.split(r"[-_.]", _prefix(file))) & set(tokens)
    ]
    if len(chosen) != 1:
        names = ", ".join(file.name for file in files) or "none"
        raise DataSourceError(
            f"Cannot tell which IDX images file in {str(directory)!r} holds "
            f"split {split!r}: expected exactly one whose prefix contains "
            f"{' or '.join(tokens)}. Images files found: {names}."
        )
    return chosen[0]


def _prefix(file):
    return _IMAGES_RE.match(file.name).group("prefix")


def _labels_for(images_path):
    match = _IMAGES_RE.match(images_path.name)
    if match is None:
        return None
    name = f"{match.group('prefix')}-labels{match.group('sep')}idx1-ubyte"
    for candidate in (name, name + ".gz"):
        if (images_path.parent / candidate).is_file():
            return images_path.parent / candidate
    return None
