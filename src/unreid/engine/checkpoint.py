"""Atomic checkpoints: a run never loses finished work, and ``--resume`` picks it up."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

LAST = "last.pth"


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_atomic`; ``ValueError`` names the file if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no checkpoint here; train first (`unreid train`) or check the path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # noqa: BLE001 - re-raised with the file name
        raise ValueError(f"{path}: unreadable checkpoint ({error}); delete it to start over") from error
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: not an unreid checkpoint (no 'model' entry)")
    return state
