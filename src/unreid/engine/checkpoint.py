"""Atomic checkpoints: a run never loses finished work, and ``--resume`` picks it up."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import torch

from unreid.io.atomic_file import atomic_torch_save

logger = logging.getLogger(__name__)

LAST = "last.pth"


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then act on them as usual.

    A Ctrl-C in the middle of ``torch.save`` would leave a half-written temporary file
    and an error message that reads like corruption; deferring it lets the write finish.
    Outside the main thread (where handlers cannot be set) this is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def _remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, _remember) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)
        for number in dict.fromkeys(received):
            logger.info("signal %s arrived during a checkpoint write; the write was finished first", number)
            signal.raise_signal(number)


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``.

    SIGINT and SIGTERM are held until the rename is done (:func:`signals_deferred`); on
    any other failure (disk full) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        atomic_torch_save(obj, path)


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
