"""Write a file so that readers see the old version or the new, never half."""

import contextlib
import errno
import os
import tempfile

from keras_genimg.utils.paths import check_output_file

# A full disk, a file-size limit, a full quota.
_DISK_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yields a temporary path beside `path`, renamed onto it on success.

    Whatever the body writes to the temporary path replaces `path` in one
    `os.replace` when the body returns; if it raises (or the process is
    killed), `path` keeps its previous content and the temporary file is
    removed (or, after a kill, left under a hidden `.tmp-` name); a full
    disk fails naming `path`. The file gets the permissions the umask
    gives new files (0644 under the usual 022).

    Args:
        path: str or path-like. The file to write.
        suffix: str. Ending of the temporary name, for writers that choose
            the format by extension (e.g. `".keras"`).

    Yields:
        str. The temporary path to write to.

    Example:
    >>> import json, os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "logs.json")
    >>> with atomic_path(target) as tmp:
    ...     with open(tmp, "w") as f:
    ...         json.dump({"loss": [1.0]}, f)
    >>> json.load(open(target))
    {'loss': [1.0]}
    """
    check_output_file(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f".tmp-{os.path.basename(path)}-", suffix=suffix, dir=directory
    )
    os.close(fd)
    try:
        try:
            yield tmp_path
        except OSError as err:
            if err.errno not in _DISK_FULL:
                raise
            raise OSError(
                err.errno,
                f"No room to write {os.fspath(path)!r}: {err.strerror}",
            ) from None
        # mkstemp makes the file private (0600); a server running as
        # another user must read it as the user's umask allows.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)


def _umask():
    # Reading the umask means setting it; it is set straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
