"""The one reader of ``.pth`` files in unreid: tensors and plain values only, never code.

Checkpoints and weight files are what people download from others; ``torch.load`` with
``weights_only=False`` would run whatever callable their pickle names. Every reader
(training resume, extract/search/serve/evaluate/export, ImageNet weights, the learned
generator) goes through :func:`load_checkpoint`.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)


def _names_objects(message: str) -> bool:
    """Whether torch's weights-only unpickler stopped at a Python object (not at a damaged byte)."""
    detail = message.split("WeightsUnpickler error:", 1)[-1]
    if "Unsupported operand" in detail:
        return False
    return any(word in detail for word in ("GLOBAL", "global", "reduce", "allowlisted", "Can only build"))


def _torch_detail(error: BaseException, *, limit: int = 160) -> str:
    """The cause in torch's message, without its advice on how to load unsafely (and without colour codes)."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    if "WeightsUnpickler error:" in message:
        message = message.split("WeightsUnpickler error:", 1)[1]
    detail = " ".join(message.strip().splitlines()[:1]).strip() or type(error).__name__
    return detail if len(detail) <= limit else detail[: limit - 3] + "..."


def _not_finite(state: dict[str, Any]) -> list[str]:
    """``name (count)`` of every floating tensor of the weights (``state["model"]``, else ``state``) with NaN or inf."""
    weights = state["model"] if isinstance(state.get("model"), dict) else state
    found = []
    for name, value in weights.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            count = int((~torch.isfinite(value)).sum())
            if count:
                found.append(f"{name} ({count})")
    return found


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
        raise ValueError(f"{path}: damaged {what} ({_torch_detail(error)}); restore it or use another file") from error
    except Exception as error:
        raise ValueError(f"{path}: damaged or not a torch {what} ({_torch_detail(error)}); restore it or use another "
                         "file") from error
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not an unreid {what} (a {type(state).__name__}, not a dict)")
    missing = [key for key in required if key not in state]
    if missing:
        raise ValueError(f"{path}: not an unreid {what} (no {', '.join(repr(k) for k in missing)} entry)")
    broken = _not_finite(state)
    if broken:
        shown = ", ".join(broken[:3]) + (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        raise ValueError(f"{path}: the {what} holds weights that are not finite (NaN/inf in {shown}): the training that "
                         "wrote it diverged; use an earlier checkpoint (previous.pth) or retrain with a lower train.lr")
    return state
