"""The choices of the hard-sample levels: relative to what the extremes are found, and which positives count.

Kept apart from the loss so that the configuration and the level modules can import them
without importing the loss (see :mod:`unreid.losses.multilevel_contrastive` for their meaning).
"""

from __future__ import annotations

from enum import Enum


class ExtremeMode(str, Enum):
    """Relative to what the intra level's farthest and the inter level's hardest are found."""

    QUERY = "query"
    CENTROID = "centroid"


class PositivePool(str, Enum):
    """Which members of the own cluster may be the query-relative farthest positive."""

    ALL = "all"
    CORE = "core"
    BATCH = "batch"
    OTHER_CAMERA = "other_camera"
