"""The one reader of plain tensor state dicts (``.pth``/``.pt``) in unreid.

ImageNet weights come from torch, torchvision, timm, ``unreid weights`` or other people's
runs, wrapped in different ways. Reading them all here, with ``weights_only=True`` (no
arbitrary pickles), gives one place that accepts the wrappers and names the file on error.
Training checkpoints (optimiser state, config) are read by :mod:`unreid.engine.checkpoint`.
"""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from unreid.io.safe_load import load_checkpoint


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
