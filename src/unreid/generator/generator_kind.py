"""Which generated images join training (the enhancement set of the paper)."""

from __future__ import annotations

from enum import Enum


class GeneratorKind(str, Enum):
    """``none``; ``color``: the per-camera colour transform, fitted in-process; ``learned``: a folder
    rendered by ``unreid generator render`` from the trained camera-style generator."""

    NONE = "none"
    COLOR = "color"
    LEARNED = "learned"
