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

The paper's abstract speaks of "the farthest sample from the intra-class relationship,
the farthest sample from the inter-class relationship", which admits two readings, both
available through :class:`ExtremeMode`:

* ``query``: farthest and hardest *relative to the query* (the table above);
* ``centroid``: each cluster's member farthest from *its own centroid* (its boundary
  sample), used as the positive of the own cluster (intra) and as the negatives of the
  other clusters (inter).

:class:`PositivePool` restricts the query-relative farthest positive to confident members:
DBSCAN core points, the members of the current batch, or the members seen by another camera
than the query's (the farthest same-camera member is most often the same person in another
pose; the farthest other-camera member is the viewpoint change re-ID must bridge).

``camera_entropy_weight`` weights each query's terms by its cluster's camera entropy
(see :mod:`unreid.losses.camera_entropy_weight`).

Each level is a module of :mod:`unreid.losses.levels`, registered by name; this module only
weighs and sums the cross-entropies of the registered levels, so a new level needs no change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unreid.losses.camera_entropy_weight import query_weights
from unreid.losses.hard_sample_modes import ExtremeMode, PositivePool
from unreid.losses.levels import LEVELS, LossLevel
from unreid.losses.levels.inputs import LevelInputs
from unreid.memory.cluster_memory import ClusterMemory

__all__ = ["ExtremeMode", "LossTerms", "MultiLevelContrastiveLoss", "PositivePool", "other_camera_mask"]


@dataclass
class LossTerms:
    """The weighted total and each level's unweighted value (detached tensors, no device sync)."""

    total: Tensor
    levels: dict[str, Tensor]


def _cross_entropy(logits: Tensor, labels: Tensor, weights: Tensor | None) -> Tensor:
    """Mean cross-entropy, each query's term times ``weights [B]`` when given (they average to 1)."""
    if weights is None:
        return F.cross_entropy(logits, labels)
    return (F.cross_entropy(logits, labels, reduction="none") * weights).mean()  # [B] -> []


class MultiLevelContrastiveLoss(nn.Module):
    """The weighted sum of the registered loss levels (:mod:`unreid.losses.levels`): by default the
    centroid, intra-class-farthest and inter-class-hardest contrastive losses.

    Args:
        temperature: softmax temperature ``tau`` (0.05).
        weights: level name -> weight in the total (a level left out, or at 0, is off; the ``loss``
            section gives them through :func:`~unreid.losses.levels.level_weights`); default: every
            registered level at 1.
        intra_mode / inter_mode: see :class:`ExtremeMode`.
        positive_pool: see :class:`PositivePool` (``intra_mode="query"`` only).
        camera_entropy_weight: weight each query by ``exp`` of its cluster's camera entropy,
            normalised to mean 1 over the queries of the call (3C, Neurocomputing 2025).
    """

    def __init__(
        self,
        *,
        temperature: float = 0.05,
        weights: Mapping[str, float] | None = None,
        intra_mode: ExtremeMode | str = ExtremeMode.QUERY,
        inter_mode: ExtremeMode | str = ExtremeMode.QUERY,
        positive_pool: PositivePool | str = PositivePool.ALL,
        camera_entropy_weight: bool = False,
    ) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        weights = dict.fromkeys(LEVELS, 1.0) if weights is None else dict(weights)
        chosen = {name: LEVELS[name] for name in weights}  # ValueError: an unknown name, and the registered ones
        self.levels: dict[str, LossLevel] = {name: chosen[name] for name in LEVELS if name in chosen}
        if not any(weights.values()):
            raise ValueError(f"every loss level is off ({weights}); give at least one of {', '.join(LEVELS)} a weight")
        self.temperature = temperature
        self.intra_mode = _choice(ExtremeMode, intra_mode, "intra_mode")
        self.inter_mode = _choice(ExtremeMode, inter_mode, "inter_mode")
        self.positive_pool = _choice(PositivePool, positive_pool, "positive_pool")
        self.camera_entropy_weight = camera_entropy_weight
        self.weights = {name: float(weights[name]) for name in self.levels}  # in registration order

    @property
    def active_levels(self) -> list[str]:
        return [name for name, weight in self.weights.items() if weight != 0.0]

    def forward(
        self,
        queries: Tensor,
        labels: Tensor,
        memory: ClusterMemory,
        *,
        level_scale: float = 1.0,
        batch_instances: Tensor | None = None,
        query_instances: Tensor | None = None,
    ) -> LossTerms:
        """Loss of L2-normalised ``queries [B, D]`` with pseudo-labels ``labels [B]``.

        Args:
            level_scale: multiplies the weights of the ramped levels (intra and inter: a ramp-in schedule).
            batch_instances: ``[B']`` memory rows of the current batch's real images
                (``-1`` entries ignored), for ``positive_pool="batch"``.
            query_instances: ``[B]`` memory row of each query (``-1``: none, e.g. a generated image),
                for ``positive_pool="other_camera"``; default ``batch_instances``.
        """
        tau = self.temperature
        queries = queries.float()
        centroid_sims = memory.centroid_similarities(queries)  # [B, C]
        weights = query_weights(memory.camera_entropy, labels) if self.camera_entropy_weight else None  # [B]
        rows = batch_instances if query_instances is None else query_instances
        inputs = LevelInputs(queries=queries, labels=labels, memory=memory, centroid_sims=centroid_sims,
                             intra_mode=self.intra_mode, inter_mode=self.inter_mode,
                             positive_mask=lambda: self._positive_mask(memory, batch_instances, rows))
        terms = {name: _cross_entropy(self.levels[name].logits(inputs) / tau, labels, weights)
                 for name in self.active_levels}  # each [B, C] logits -> []
        total = sum(self.weights[name] * (level_scale if self.levels[name].ramped else 1.0) * value
                    for name, value in terms.items())
        assert isinstance(total, Tensor)
        return LossTerms(total=total, levels={name: value.detach() for name, value in terms.items()})

    def _positive_mask(self, memory: ClusterMemory, batch_instances: Tensor | None,
                       query_instances: Tensor | None) -> Tensor | None:
        if self.positive_pool is PositivePool.OTHER_CAMERA:
            if query_instances is None:
                raise ValueError("positive_pool='other_camera' needs the queries' memory rows (query_instances)")
            return other_camera_mask(memory.instance_cameras, query_instances)  # [B, N]
        if self.positive_pool is PositivePool.CORE:
            return memory.core
        if self.positive_pool is PositivePool.BATCH:
            if batch_instances is None:
                raise ValueError("positive_pool='batch' needs the batch's memory rows (batch_instances)")
            mask = torch.zeros_like(memory.core)  # [N]
            mask[batch_instances[batch_instances >= 0]] = True
            return mask
        return None


def other_camera_mask(cameras: Tensor, query_instances: Tensor) -> Tensor:
    """``[B, N]``: the members whose camera differs from the query's; every member for a query whose
    camera is unknown (no memory row, or camera ``-1``)."""
    query_cameras = torch.where(query_instances >= 0, cameras[query_instances.clamp(min=0)], -1)  # [B]
    return (cameras.unsqueeze(0) != query_cameras.unsqueeze(1)) | (query_cameras < 0).unsqueeze(1)  # [B, N]


def _choice(enum: type[Enum], value: object, name: str) -> Any:
    try:
        return enum(value)
    except ValueError as error:
        raise ValueError(f"{name}={value!r}; valid values: {[m.value for m in enum]}") from error
