"""The intra-class level: the own cluster's *farthest* member as the positive, the other centroids as negatives.

Pulls the query towards the least similar member of its own cluster (compactness). With
``loss.intra_mode=query`` the farthest is relative to the query (among the members
``loss.positive_pool`` allows); with ``centroid`` it is the member farthest from the own centroid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import Tensor

from unreid.losses.hard_sample_modes import ExtremeMode
from unreid.losses.levels.inputs import LevelInputs, replace_column
from unreid.losses.levels.registry import register_level

if TYPE_CHECKING:
    from unreid.config.schema import LossConfig


def _weight(loss: LossConfig) -> float:
    return loss.intra_weight if loss.intra else 0.0


@register_level("intra", ramped=True, config_weight=_weight)
def intra_logits(inputs: LevelInputs) -> Tensor:
    """``[B, C]``: the centroid similarities with the own column replaced by the farthest member's."""
    if inputs.intra_mode is ExtremeMode.QUERY:
        positive = inputs.query_extremes[0]  # [B]
    else:
        positive = inputs.own_column(inputs.boundary)  # [B]
    return replace_column(inputs.centroid_sims, inputs.labels, positive)  # [B, C]
