"""A local cache of weight files, each with a ``.sha256`` beside it that is checked on reuse.

Converting Keras' weights or downloading torchvision's takes a minute and a network, so the
result is kept in ``~/.cache/unreid`` (or ``$UNREID_CACHE``). A file is trusted only when its
digest matches its ``<name>.sha256`` (``sha256sum -c`` format); a partial or edited file is
rebuilt instead of silently loaded. Both files are written atomically
(:mod:`unreid.io.atomic_file`), the checksum last.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from torch import Tensor

from unreid.io.atomic_file import atomic_torch_save, atomic_write_bytes

logger = logging.getLogger(__name__)

CACHE_FILE_MODE = 0o644
"""Cache files are ordinary data, readable by all (not the private mode of a temporary file)."""


def default_cache_dir() -> Path:
    """``$UNREID_CACHE`` if set, else ``~/.cache/unreid``."""
    return Path(os.environ.get("UNREID_CACHE") or Path.home() / ".cache" / "unreid").expanduser()


def sha256_of_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_path(path: Path) -> Path:
    """``<path>.sha256``, the checksum file of a cached file."""
    return path.with_name(path.name + ".sha256")


def verified_sha256(path: Path) -> str | None:
    """The digest of a cached file if it and its ``.sha256`` agree, else ``None`` (rebuild it)."""
    checksum = checksum_path(path)
    if not path.is_file() or not checksum.is_file():
        return None
    expected = (checksum.read_text(encoding="utf-8").split() or [""])[0]
    actual = sha256_of_file(path)
    if actual != expected:
        logger.warning("%s: sha256 %s does not match %s; rebuilding it", path, actual[:12], checksum)
        return None
    return actual


def save_verified(state: dict[str, Tensor], path: Path) -> str:
    """``torch.save`` ``state`` into the cache atomically, then write ``<path>.sha256``; return the digest."""
    atomic_torch_save(state, path, permissions=CACHE_FILE_MODE)
    digest = sha256_of_file(path)
    atomic_write_bytes(checksum_path(path), f"{digest}  {path.name}\n".encode(), permissions=CACHE_FILE_MODE)
    logger.info("wrote %s (sha256 %s)", path, digest)
    return digest
