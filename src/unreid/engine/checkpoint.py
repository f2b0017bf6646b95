"""Atomic checkpoints: a run never loses finished work, and ``--resume`` picks it up."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from unreid.io.atomic_file import atomic_torch_save
from unreid.io.safe_load import UnsafeCheckpointError, load_checkpoint

__all__ = ["LAST", "PREVIOUS", "ResumePoint", "UnsafeCheckpointError", "load_checkpoint", "resume_point", "save_atomic"]

logger = logging.getLogger(__name__)

LAST = "last.pth"
PREVIOUS = "previous.pth"
"""The checkpoint before ``last.pth``: ``--resume`` falls back to it when ``last.pth`` is damaged or missing."""


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


def save_atomic(obj: Any, path: Path, *, keep_previous: Path | None = None) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``.

    SIGINT and SIGTERM are held until the rename is done (:func:`signals_deferred`); on
    any other failure (disk full) the temporary file is removed and ``path`` is untouched.
    With ``keep_previous``, the old ``path`` is first renamed there (a ``kill -9`` between
    the two renames leaves ``keep_previous``, which :func:`resume_point` then uses).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        atomic_torch_save(_plain(obj), path, keep_previous=keep_previous)


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars turned into Python numbers, so that the file loads with ``weights_only=True``.

    Containers without numpy scalars are returned as they are (a state dict keeps its ``_metadata``).
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        items = {key: _plain(item) for key, item in value.items()}
        return value if all(items[key] is value[key] for key in value) else type(value)(items)
    if isinstance(value, (list, tuple)):
        converted = [_plain(item) for item in value]
        unchanged = all(new is old for new, old in zip(converted, value, strict=True))
        return value if unchanged else type(value)(converted)
    return value


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a resumed run continues from, and its content."""

    path: Path
    state: dict[str, Any]

    @property
    def epoch(self) -> int:
        return int(self.state["epoch"])


def resume_point(run_dir: Path) -> ResumePoint | None:
    """The newest usable checkpoint of ``run_dir``: ``last.pth``, else ``previous.pth``; ``None`` when neither exists.

    A damaged ``last.pth`` is reported and skipped when ``previous.pth`` is good (one
    epoch is redone). A file holding code is never skipped silently.

    Raises:
        ValueError: naming the file and the fix, when no checkpoint is usable.
    """
    run_dir = Path(run_dir)
    last, previous = run_dir / LAST, run_dir / PREVIOUS
    try:
        return ResumePoint(last, load_checkpoint(last, required=("epoch", "model", "optimizer", "scheduler")))
    except UnsafeCheckpointError:
        raise
    except ValueError as error:
        damage = str(error) if last.exists() else ""
    if not previous.exists():
        if damage:
            raise ValueError(f"{damage}; no {PREVIOUS} to fall back to: restore {last}, or start the run over with "
                             "--overwrite (which deletes this run's files)")
        return None
    try:
        point = ResumePoint(previous, load_checkpoint(previous, required=("epoch", "model", "optimizer", "scheduler")))
    except ValueError as error:
        raise ValueError(f"{damage or f'{last}: missing'}; and {error}") from error
    if damage:
        logger.warning("%s; falling back to %s (epoch %d finished)", damage, previous, point.epoch)
    else:
        logger.warning("%s is missing; falling back to %s (epoch %d finished)", last, previous, point.epoch)
    return point
