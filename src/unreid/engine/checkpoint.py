"""Atomic checkpoints: a run never loses finished work, and ``--resume`` picks it up."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import re
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch

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
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                torch.save(_plain(obj), handle)
                handle.flush()
                os.fsync(handle.fileno())
            if keep_previous is not None and path.is_file():
                os.replace(path, keep_previous)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


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


def _names_objects(message: str) -> bool:
    """Whether torch's weights-only unpickler stopped at a Python object (not at a damaged byte)."""
    detail = message.split("WeightsUnpickler error:", 1)[-1]
    if "Unsupported operand" in detail:
        return False
    return any(word in detail for word in ("GLOBAL", "global", "reduce", "allowlisted", "Can only build"))


class UnsafeCheckpointError(ValueError):
    """A ``.pth`` file holds Python objects beyond tensors and plain values (it could run code)."""


def load_checkpoint(
    path: Path, *, required: tuple[str, ...] = ("model",), map_location: str | torch.device = "cpu",
    what: str = "checkpoint",
) -> dict[str, Any]:
    """The one reader of ``.pth`` files in unreid: tensors and plain values only, never code.

    The file is read with ``torch.load(weights_only=True)``: a pickle that names any
    Python callable (``os.system`` in ``__reduce__``) is refused before anything in it
    runs. Everything unreid writes (model, optimizer and scheduler states, history,
    ``model_spec``) is made of tensors, numbers, strings, lists and dicts.

    Args:
        path: the file.
        required: top-level keys the file must have (``()``: any dict).
        map_location: where tensors are loaded.
        what: the kind of file, for the messages (``"checkpoint"``, ``"weights file"``).

    Raises:
        UnsafeCheckpointError: (a ``ValueError``) when the file holds code or other objects.
        ValueError: naming the file, when it is missing, holds code or other objects,
            is damaged, or lacks a ``required`` key.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no {what} here; train first (`unreid train`) or check the path")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if _names_objects(str(error)):
            found = re.search(r"GLOBAL ([\w.]+)", str(error))
            named = f" (it names {found.group(1)})" if found else ""
            raise UnsafeCheckpointError(
                f"{path}: refused to load: the {what} holds Python objects besides tensors and plain values{named}, "
                "which could run code when loaded; unreid never writes such files. Use a file written by "
                "`unreid train` (or a plain state dict of tensors) from a source you trust"
            ) from None
        raise ValueError(f"{path}: damaged {what} ({str(error)[:200]}); restore it or use another file") from error
    except Exception as error:
        raise ValueError(f"{path}: damaged or not a torch {what} ({str(error)[:200]}); restore it or use another file"
                         ) from error
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not an unreid {what} (a {type(state).__name__}, not a dict)")
    missing = [key for key in required if key not in state]
    if missing:
        raise ValueError(f"{path}: not an unreid {what} (no {', '.join(repr(k) for k in missing)} entry)")
    return state


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
