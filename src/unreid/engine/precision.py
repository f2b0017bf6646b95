"""The training device and mixed precision, resolved from their configuration names."""

from __future__ import annotations

import torch

from unreid.engine.amp_mode import AmpMode

__all__ = ["AmpMode", "grad_scaler", "resolve_amp", "resolve_device"]  # AmpMode: re-exported, defined in amp_mode


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when visible), ``cpu``, ``cuda`` or ``cuda:N``; ``ValueError`` otherwise."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"train.device={name!r} is not a device; use auto, cpu, cuda or cuda:N") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device asks for CUDA but no GPU is visible; use train.device=cpu")
    return device


def resolve_amp(mode: AmpMode | str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``mode`` on ``device`` (``None``: full precision)."""
    try:
        mode = AmpMode(mode)
    except ValueError as error:
        raise ValueError(f"train.amp={mode!r}; valid values: {', '.join(m.value for m in AmpMode)}") from error
    if mode is AmpMode.AUTO:
        return torch.bfloat16 if device.type == "cuda" else None
    return {AmpMode.NONE: None, AmpMode.BF16: torch.bfloat16, AmpMode.FP16: torch.float16}[mode]


def grad_scaler(dtype: torch.dtype | None, device: torch.device) -> torch.amp.GradScaler:
    """A loss scaler for training under autocast ``dtype`` on ``device``, enabled for float16 only.

    float16 keeps 5 exponent bits, so gradients below about 3e-8 round to zero; the scaler
    multiplies the loss before ``backward`` and divides the gradients before the step (skipping
    steps whose gradients overflow). bfloat16 has float32's range and needs no scaling; a
    disabled scaler passes the loss and the step through unchanged.
    """
    return torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
