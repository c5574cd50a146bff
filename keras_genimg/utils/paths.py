"""Checks of output paths, made before any work is done."""

import os


def check_export_dir(base_dir):
    """Raises unless `base_dir` can be a model's base folder of exports.

    Args:
        base_dir: str or path-like. The folder versions are exported into
            (TF Serving's `--model_base_path`), e.g. `saved_models/vae`.

    Raises:
        FileExistsError: when `base_dir` is a file, or an exported version.
        PermissionError: when the folder (or the first existing folder
            above it) cannot be written.

    Example:
    >>> check_export_dir("saved_models/vae")
    """
    base_dir = os.fspath(base_dir)
    if os.path.exists(base_dir) and not os.path.isdir(base_dir):
        raise FileExistsError(
            f"{base_dir!r} exists and is not a folder; export to a model's "
            "base folder, e.g. saved_models/vae."
        )
    if os.path.isfile(os.path.join(base_dir, "saved_model.pb")):
        raise FileExistsError(
            f"{base_dir!r} is an exported version, not a model's base "
            "folder; export to its parent, "
            f"{os.path.dirname(os.path.normpath(base_dir))!r}."
        )
    check_writable(base_dir)


def check_writable(path):
    """Raises `PermissionError` unless the folder `path`, or the first
    existing folder above it, can be written.

    Example:
    >>> check_writable("runs/new/folder")
    """
    existing = os.path.abspath(os.fspath(path))
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise FileExistsError(f"{existing!r} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot write into {existing!r}.")


def check_output_file(path):
    """Raises unless a file can be written at `path`.

    Args:
        path: str or path-like. The file a command will write.

    Raises:
        IsADirectoryError: when `path` is a folder.
        FileExistsError: when a folder above it is a file.
        PermissionError: when its folder cannot be written.

    Example:
    >>> check_output_file("runs/vae/samples.png")
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"{path!r} is a folder; give the path of a file to write."
        )
    check_writable(os.path.dirname(os.path.abspath(path)))
