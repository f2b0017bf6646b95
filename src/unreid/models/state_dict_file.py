"""Reading weight files written by torch, torchvision, timm or unreid checkpoints."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from unreid.engine.checkpoint import load_checkpoint


def read_state_dict(path: Path) -> dict[str, Tensor]:
    """Return the tensors of a ``.pth``/``.pt`` file as a float32 state dict.

    Accepts a plain state dict, ``{"state_dict": ...}``, ``{"model": ...}``, and strips
    ``module.`` (DataParallel) prefixes. Raises ``ValueError`` naming the file otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such weights file. Create one with `unreid weights` or pass an existing .pth")
    obj: object = load_checkpoint(path, required=(), what="weights file")
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path}: expected a state dict of tensors (name -> tensor)")
    return {k.removeprefix("module."): (v.float() if v.is_floating_point() else v) for k, v in obj.items()}
