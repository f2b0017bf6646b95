"""Write a file so that readers see its old content or its new content, never half of it.

Checkpoints, cached weights and feature dumps are trusted by later runs, so a crash, a kill
or a full disk in the middle of a write must not leave a truncated file under the real name.
Every writer in unreid goes through :func:`atomic_file`: the bytes go to a hidden temporary
file beside the target (``.<name>.<random>``, same folder so the rename is atomic), which is
flushed to disk and renamed over the target only once complete. On any failure the
temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import torch

logger = logging.getLogger(__name__)


def temporary_prefix(path: Path) -> str:
    """The name prefix of :func:`atomic_file`'s temporary files for ``path`` (``.<name>.``)."""
    return f".{Path(path).name}."


@contextlib.contextmanager
def atomic_file(path: Path, *, permissions: int | None = None, keep_previous: Path | None = None) -> Iterator[BinaryIO]:
    """Yield a binary handle whose bytes replace ``path`` when the block ends without error.

    Args:
        path: the target; its folder is created if missing.
        permissions: mode of the finished file (e.g. ``0o644``); ``None`` keeps the private
            ``0o600`` of :func:`tempfile.mkstemp`.
        keep_previous: where the old ``path`` goes just before the new one takes its name
            (a kill between the two renames leaves the old content there).

    Yields:
        The open temporary file. It is flushed and ``fsync``-ed before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=temporary_prefix(path), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if permissions is not None:
            os.chmod(tmp_name, permissions)
        if keep_previous is not None and path.is_file():
            os.replace(path, keep_previous)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, permissions: int | None = None) -> None:
    """Replace ``path`` by ``data`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, permissions=permissions) as handle:
        handle.write(data)


def atomic_torch_save(obj: Any, path: Path, *, permissions: int | None = None, keep_previous: Path | None = None) -> None:
    """``torch.save(obj)`` into ``path`` atomically (see :func:`atomic_file`).

    The object is saved through the open handle, not the temporary name: ``torch.save``
    records a file name inside its archive, so saving by name would make the bytes (and any
    checksum of them) depend on the random temporary name.
    """
    with atomic_file(path, permissions=permissions, keep_previous=keep_previous) as handle:
        torch.save(obj, handle)
