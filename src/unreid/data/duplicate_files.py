"""Byte-identical copies of one image in a training folder are read once.

Copies (``x.jpg``, ``x.jpg.jpg``, ``x.JPG``) are common in shared data sets; counted as
several crops they form clusters of their own and bias the pseudo labels. Files are first
grouped by size (a read only where sizes collide), then by the SHA-256 of their bytes; the
first path of each group in sorted order is kept, and one warning counts the rest. Empty
files are no image and not copies of one: all stay, for the bad-file check to name each.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from pathlib import Path

logger = logging.getLogger(__name__)

SHOWN = 5
"""Dropped copies named in the warning (the rest are counted)."""


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def drop_duplicate_files(paths: list[Path], *, role: str) -> list[Path]:
    """``paths`` (sorted) without byte-identical copies: the first of each group is kept.

    Args:
        paths: image files of one folder.
        role: how the folder is named in the warning (``"training"``).

    Returns:
        The kept paths, in sorted order.
    """
    paths = sorted(paths)
    by_size: dict[int, list[Path]] = defaultdict(list)
    for path in paths:
        try:
            by_size[path.stat().st_size].append(path)
        except OSError:
            continue  # unreadable: the decoder reports it
    dropped: dict[Path, Path] = {}  # copy -> the file it copies
    for size, same_size in by_size.items():
        if len(same_size) < 2 or size == 0:
            continue
        first: dict[str, Path] = {}
        for path in same_size:
            try:
                digest = _digest(path)
            except OSError:
                continue
            if digest in first:
                dropped[path] = first[digest]
            else:
                first[digest] = path
    if not dropped:
        return paths
    shown = ", ".join(f"{copy.name} (= {original.name})" for copy, original in sorted(dropped.items())[:SHOWN])
    more = f" and {len(dropped) - SHOWN} more" if len(dropped) > SHOWN else ""
    logger.warning("%s images: %d byte-identical copies read once (%d of %d files kept): %s%s", role, len(dropped),
                   len(paths) - len(dropped), len(paths), shown, more)
    return [path for path in paths if path not in dropped]
