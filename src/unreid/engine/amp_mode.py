"""The ``train.amp`` choice, in a module of its own that imports nothing of the engine, so the
configuration schema names it without importing the engine (:mod:`unreid.engine.precision`
resolves it to an autocast dtype)."""

from __future__ import annotations

from enum import Enum


class AmpMode(str, Enum):
    """Mixed precision: ``auto`` is bfloat16 on CUDA and none elsewhere."""

    AUTO = "auto"
    BF16 = "bf16"
    FP16 = "fp16"
    NONE = "none"
