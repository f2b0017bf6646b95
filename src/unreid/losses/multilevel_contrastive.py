"""Multi-level memory contrastive loss.

Peng, Chen, Li and Sun, "Unsupervised Person Re-identification with Multi-Level
Feature Contrastive Learning". Three InfoNCE terms over the cluster memory, each
with ``C`` logits (one per cluster) and the query's own cluster as the target:

=============  ===================================  ==========================================
level          positive (own cluster ``y``)          negatives (every other cluster ``k``)
=============  ===================================  ==========================================
centroid       centroid ``c_y``                      centroids ``c_k`` (= Cluster Contrast)
intra-class    *farthest* instance of ``y``          centroids ``c_k``
inter-class    centroid ``c_y``                      *hardest* (most similar) instance of ``k``
=============  ===================================  ==========================================

The intra-class level pulls the query towards the least similar member of its own
cluster (compactness); the inter-class level pushes it away from the closest member
of every other cluster (separability); the centroid level anchors both.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unreid.memory.cluster_memory import ClusterMemory


@dataclass
class LossTerms:
    """The weighted total and each level's unweighted value (detached tensors, no device sync)."""

    total: Tensor
    levels: dict[str, Tensor]


def _replace_column(logits: Tensor, labels: Tensor, values: Tensor) -> Tensor:
    """``logits`` with ``logits[b, labels[b]] = values[b]`` (out of place, differentiable)."""
    own = F.one_hot(labels, logits.shape[1]).bool()  # [B, C]
    return torch.where(own, values.unsqueeze(1), logits)  # [B, C]


class MultiLevelContrastiveLoss(nn.Module):
    """Centroid, intra-class-farthest and inter-class-hardest contrastive losses.

    Args:
        temperature: softmax temperature ``tau`` (0.05).
        use_centroid / use_intra / use_inter: switch each level on or off.
        centroid_weight / intra_weight / inter_weight: weight of each level in the total.
    """

    def __init__(
        self,
        *,
        temperature: float = 0.05,
        use_centroid: bool = True,
        use_intra: bool = True,
        use_inter: bool = True,
        centroid_weight: float = 1.0,
        intra_weight: float = 1.0,
        inter_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if not (use_centroid or use_intra or use_inter):
            raise ValueError("at least one of use_centroid, use_intra, use_inter must be on")
        self.temperature = temperature
        self.weights = {
            "centroid": centroid_weight if use_centroid else 0.0,
            "intra": intra_weight if use_intra else 0.0,
            "inter": inter_weight if use_inter else 0.0,
        }

    @property
    def active_levels(self) -> list[str]:
        return [name for name, weight in self.weights.items() if weight != 0.0]

    def forward(self, queries: Tensor, labels: Tensor, memory: ClusterMemory) -> LossTerms:
        """Loss of L2-normalised ``queries [B, D]`` with pseudo-labels ``labels [B]``."""
        tau = self.temperature
        queries = queries.float()
        centroid_sims = memory.centroid_similarities(queries)  # [B, C]
        terms: dict[str, Tensor] = {}
        if self.weights["centroid"]:
            terms["centroid"] = F.cross_entropy(centroid_sims / tau, labels)
        if self.weights["intra"] or self.weights["inter"]:
            farthest_own, hardest = memory.instance_extremes(queries, labels)  # [B], [B, C]
            if self.weights["intra"]:
                logits = _replace_column(centroid_sims, labels, farthest_own)  # [B, C]
                terms["intra"] = F.cross_entropy(logits / tau, labels)
            if self.weights["inter"]:
                own_centroid = centroid_sims.gather(1, labels.unsqueeze(1)).squeeze(1)  # [B]
                logits = _replace_column(hardest, labels, own_centroid)  # [B, C]
                terms["inter"] = F.cross_entropy(logits / tau, labels)
        total = sum(self.weights[name] * value for name, value in terms.items())
        assert isinstance(total, Tensor)
        return LossTerms(total=total, levels={name: value.detach() for name, value in terms.items()})
