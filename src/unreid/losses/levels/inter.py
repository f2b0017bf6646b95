"""The inter-class level: the own centroid as the positive, every other cluster's *hardest* member as a negative.

Pushes the query away from the closest member of every other cluster (separability). With
``loss.inter_mode=query`` the hardest is the member most similar to the query; with
``centroid`` each cluster's member farthest from its own centroid.
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
    return loss.inter_weight if loss.inter else 0.0


@register_level("inter", ramped=True, config_weight=_weight)
def inter_logits(inputs: LevelInputs) -> Tensor:
    """``[B, C]``: the hardest member similarities with the own column replaced by the own centroid's."""
    own_centroid = inputs.own_column(inputs.centroid_sims)  # [B]
    negatives = inputs.query_extremes[1] if inputs.inter_mode is ExtremeMode.QUERY else inputs.boundary  # [B, C]
    return replace_column(negatives, inputs.labels, own_centroid)  # [B, C]
