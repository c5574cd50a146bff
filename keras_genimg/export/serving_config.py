"""A TF Serving `ModelServerConfig` for every model exported under a folder."""

import os
import posixpath

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from keras_genimg.export.versions import version_dirs
from keras_genimg.serving.signature_table import SAVED_MODEL_FILE


def find_exported_models(root):
    """Finds the model base directories under `root`.

    A base directory is a subdirectory of `root` with at least one
    integer-named version directory that holds a `saved_model.pb`; files
    (a README, the config file being written) and other folders are
    skipped, as TF Serving would skip them.

    Args:
        root: str or path-like. e.g. `saved_models`.

    Returns:
        A dict of model name (the subdirectory's name) to its sorted list
        of versions, sorted by name.

    Example:
    >>> find_exported_models("no/such/folder")
    {}
    """
    root = os.fspath(root)
    models = {}
    if not os.path.isdir(root):
        return models
    for name in sorted(os.listdir(root)):
        base_dir = os.path.join(root, name)
        if not os.path.isdir(base_dir):
            continue
        found = sorted(
            version
            for version, dirname in version_dirs(base_dir).items()
            if os.path.isfile(os.path.join(base_dir, dirname, SAVED_MODEL_FILE))
        )
        if found:
            models[name] = found
    return models


def model_server_config(root, base_path=None):
    """The text proto of a `ModelServerConfig` serving every model in `root`.

    Give it to TF Serving with `--model_config_file`. Each model is served
    under its directory's name, latest version first (TF Serving's
    default version policy).

    Args:
        root: str or path-like. The folder holding one base directory per
            model, e.g. `saved_models`.
        base_path: str or None. Where the server sees `root`, e.g.
            `/models` inside a container. Defaults to `root`'s absolute
            path.

    Returns:
        The config as `ModelServerConfig` text.

    Raises:
        ValueError: if `root` holds no exported model.
    """
    models = find_exported_models(root)
    if not models:
        raise ValueError(
            f"No exported models under {os.fspath(root)!r}. Expected "
            "ROOT/NAME/<version>/saved_model.pb, as written by "
            "'genimg export' or 'genimg train --export'."
        )
    config = model_server_config_pb2.ModelServerConfig()
    for name in models:
        entry = config.model_config_list.config.add()
        entry.name = name
        if base_path is None:
            entry.base_path = os.path.join(os.path.abspath(root), name)
        else:
            entry.base_path = posixpath.join(base_path, name)
        entry.model_platform = "tensorflow"
    return text_format.MessageToString(config)
