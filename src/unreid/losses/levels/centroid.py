"""The centroid level (Cluster Contrast): the query against every cluster centroid, its own the positive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import Tensor

from unreid.losses.levels.inputs import LevelInputs
from unreid.losses.levels.registry import register_level

if TYPE_CHECKING:
    from unreid.config.schema import LossConfig


def _weight(loss: LossConfig) -> float:
    return loss.centroid_weight if loss.centroid else 0.0


@register_level("centroid", config_weight=_weight)
def centroid_logits(inputs: LevelInputs) -> Tensor:
    """``[B, C]``: the centroid similarities as they are."""
    return inputs.centroid_sims  # [B, C]
