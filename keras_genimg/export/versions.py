"""Version directories of a TF Serving model, published atomically.

TF Serving watches a model's base directory and loads every subdirectory
whose name is an integer, as soon as it sees it, finished or not. So an
export is written into a staging directory whose name is not an integer
and renamed into place in one step. A rename onto an existing, non-empty
directory fails, which makes the rename an exclusive claim: two exporters
racing for the same version cannot both take it, and a published version
is never replaced.
"""

import errno
import os

MAX_ATTEMPTS = 1000
# TF Serving reads version folder names as int64 and ignores the others.
MAX_VERSION = 2**63 - 1


def version_dirs(base_dir):
    """Maps each version found in `base_dir` to its directory name.

    Only folders TF Serving loads count: names of ASCII digits up to
    2**63 - 1; it ignores every other entry, and so does this.

    Example:
    >>> version_dirs("no/such/dir")
    {}
    """
    try:
        names = os.listdir(base_dir)
    except FileNotFoundError:
        return {}
    return {
        int(name): name
        for name in names
        if name.isascii()
        and name.isdigit()
        and int(name) <= MAX_VERSION
        and os.path.isdir(os.path.join(base_dir, name))
    }


def next_version(base_dir):
    """One more than the highest version in `base_dir`, or 1."""
    return max(version_dirs(base_dir), default=0) + 1


def check_free(base_dir, version):
    """Raises unless `version` is an int >= 1 not yet in `base_dir`."""
    if (
        isinstance(version, bool)
        or not isinstance(version, int)
        or (version < 1)
    ):
        raise ValueError(
            f"`version` must be a positive int. Received: {version!r}"
        )
    if version > MAX_VERSION:
        raise ValueError(
            f"`version` must be at most 2**63 - 1, the largest TF Serving "
            f"reads (it ignores larger ones). Received: {version}"
        )
    if version in version_dirs(base_dir):
        raise _exists(base_dir, version)


def publish(staging_dir, base_dir, version=None):
    """Renames a finished export into place as a version directory.

    Args:
        staging_dir: str. A non-empty directory inside `base_dir`.
        base_dir: str. The model's base directory.
        version: int or None. The version to publish as; `None` takes the
            next free one.

    Returns:
        The path of the new version directory.

    Raises:
        FileExistsError: if `version` is given and already exists.
    """
    for _ in range(MAX_ATTEMPTS):
        target_version = next_version(base_dir) if version is None else version
        if target_version in version_dirs(base_dir):
            if version is not None:
                raise _exists(base_dir, version)
            continue  # Another exporter took it since we looked.
        target = os.path.join(base_dir, str(target_version))
        try:
            os.rename(staging_dir, target)
        except OSError as err:
            if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if version is not None:
                raise _exists(base_dir, version) from None
            continue
        return target
    raise RuntimeError(
        f"Could not claim a version in {base_dir} after {MAX_ATTEMPTS} "
        "attempts."
    )


def _exists(base_dir, version):
    return FileExistsError(
        f"Version {version} already exists in {base_dir}; published versions "
        "are never overwritten. Pass another `version`, or none to take the "
        "next one."
    )
