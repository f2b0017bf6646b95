"""Reading weight files written by torch, torchvision, timm or unreid checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """Return the tensors of a ``.pth``/``.pt`` file as a float32 state dict.

    Accepts a plain state dict, ``{"state_dict": ...}``, ``{"model": ...}``, and strips
    ``module.`` (DataParallel) prefixes. Raises ``ValueError`` naming the file otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such weights file. Create one with `unreid weights` or pass an existing .pth")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - re-raised with the file name and the fix
        raise ValueError(f"{path}: not a readable torch weights file ({error}).") from error
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path}: expected a state dict of tensors (name -> tensor)")
    return {k.removeprefix("module."): (v.float() if v.is_floating_point() else v) for k, v in obj.items()}
