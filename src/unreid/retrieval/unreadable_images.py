"""Unreadable crops in ``extract`` and ``index build``: found together, then left out or refused in one message.

A quick scan reads each file's header (missing, empty and non-image files fail here,
before any embedding); a file that fails only when decoded (a truncated JPEG) is found
while embedding, without stopping the others. ``--bad-files skip`` leaves all of them
out with one warning, ``--bad-files error`` refuses with one message listing them,
like training's ``data.bad_files``. Uses only numpy and Pillow (the ONNX path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from unreid.data.records import Record

logger = logging.getLogger(__name__)

BAD_FILE_POLICIES = ("error", "skip")
CHUNK = 256
"""Images embedded per call; a chunk holding an unreadable file is redone one image at a time."""


def unreadable_message(bad: Sequence[tuple[Path, str]], *, shown: int = 20) -> str:
    names = "; ".join(f"{path} ({reason[:80]})" for path, reason in bad[:shown])
    more = f" and {len(bad) - shown} more" if len(bad) > shown else ""
    return f"{len(bad)} unreadable image file(s): {names}{more}"


def _header_problem(path: Path) -> str | None:
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as image:
            image.size  # noqa: B018 - the header is parsed by open; size proves it
    except FileNotFoundError:
        return "file not found"
    except Exception as error:
        return f"not an image ({str(error)[:80]})"
    return None


def scan_headers(paths: Sequence[Path], *, num_threads: int = 4) -> list[tuple[Path, str]]:
    """``(path, reason)`` of every file whose header cannot be read (no pixel is decoded)."""
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        problems = list(pool.map(_header_problem, paths))
    return [(path, reason) for path, reason in zip(paths, problems, strict=True) if reason]


def embed_readable(
    embed: Callable[[Sequence[Path]], np.ndarray], records: Sequence[Record], *, bad_files: str,
) -> tuple[np.ndarray, list[Record], list[tuple[Path, str]]]:
    """Embeddings ``[M, D]`` of the readable images of ``records``, their records, and the unreadable ones.

    Raises:
        ValueError: with ``bad_files="error"``, listing every unreadable file (header
            problems before any embedding); with an unknown policy.
    """
    if bad_files not in BAD_FILE_POLICIES:
        raise ValueError(f"--bad-files {bad_files!r}; valid values: {', '.join(BAD_FILE_POLICIES)}")
    bad = scan_headers([r.path for r in records])
    if bad and bad_files == "error":
        raise ValueError(f"{unreadable_message(bad)}; delete or replace them, or pass --bad-files skip")
    skipped = {path for path, _ in bad}
    kept = [r for r in records if r.path not in skipped]
    chunks, good = [], []
    for start in range(0, len(kept), CHUNK):
        chunk = kept[start : start + CHUNK]
        try:
            chunks.append(embed([r.path for r in chunk]))
            good += chunk
            continue
        except ValueError:
            pass
        for record in chunk:  # find the files that fail only when decoded; embed the others
            try:
                chunks.append(embed([record.path]))
                good.append(record)
            except ValueError as error:
                bad.append((record.path, str(error).removeprefix(f"{record.path}: ")))
    late = len(bad) - len(skipped)
    if late and bad_files == "error":
        raise ValueError(f"{unreadable_message(bad)}; delete or replace them, or pass --bad-files skip")
    if bad:
        logger.warning("skipped %s", unreadable_message(bad))
    if not good:
        raise ValueError("no readable image among the inputs; check the files")
    return np.concatenate(chunks), good, bad
