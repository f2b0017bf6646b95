"""Output paths checked before the work: an unwritable or too-long ``--out`` fails in a second, in one line.

Commands that embed a folder, train or export first make sure they will be able to
write their result (:func:`check_writable`), and turn a write that still fails (disk
full, a folder removed meanwhile) into one line naming the path (:func:`writing`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

NAME_MAX = 255
"""The longest file name (one path component, in bytes) most file systems take."""


def _reason(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "a name in the path is too long"
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a part of the path is a file, not a folder"
    return error.strerror or str(error)


def check_name_lengths(path: Path, *, what: str) -> None:
    """Refuse a path with a component longer than :data:`NAME_MAX` bytes (``stat`` would raise on it).

    Raises:
        ValueError: naming ``what`` and the long name.
    """
    long_names = [part for part in Path(path).parts if len(os.fsencode(part)) > NAME_MAX]
    if long_names:
        raise ValueError(f"{what} {str(path)!r}: name too long ({long_names[0][:24]!r}... has "
                         f"{len(os.fsencode(long_names[0]))} bytes, a file system takes {NAME_MAX}); choose a shorter name")


def check_writable(path: Path, *, what: str, folder: bool = False) -> Path:
    """Make sure ``path`` can be written (creating its parent folders, or the folder itself with ``folder``).

    Args:
        path: the file (or folder) the command will write.
        what: how the user named it, for the message (``"--out"``, ``"output_dir"``).
        folder: ``path`` is a folder to write files into.

    Raises:
        ValueError: naming ``what``, the path and the reason, when it cannot be written.
    """
    path = Path(path).expanduser()
    check_name_lengths(path, what=what)
    target = path if folder else path.parent
    if not folder and path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder; give a file name")
    if folder and path.exists() and not path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a file; give a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".unreid-write-check-", dir=target)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise ValueError(f"{what} {str(path)!r}: cannot write in {target} ({_reason(error)}); "
                         "choose a folder you can write to") from None
    if not folder and path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{what} {str(path)!r}: the file exists and is read-only; remove it or choose another name")
    return path


@contextlib.contextmanager
def writing(path: Path, *, what: str) -> Iterator[None]:
    """Turn an ``OSError`` of the block (the actual write) into a ``ValueError`` naming ``what`` and ``path``."""
    try:
        yield
    except OSError as error:
        raise ValueError(f"{what} {str(path)!r}: writing failed ({_reason(error)}"
                         f"{f' at {error.filename}' if error.filename and str(error.filename) != str(path) else ''}); "
                         "free space or choose another path, then run the command again") from None
