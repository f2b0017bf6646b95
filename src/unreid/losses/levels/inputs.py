"""What every level of one loss call sees, with the costly similarities computed once, on first use.

The centroid similarities are always needed; the query-relative instance extremes and the
boundary similarities only by the hard-sample levels in the matching
:class:`~unreid.losses.hard_sample_modes.ExtremeMode`, so they are cached properties: a call
whose active levels do not ask for them never computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.losses.hard_sample_modes import ExtremeMode

if TYPE_CHECKING:
    from unreid.memory.cluster_memory import ClusterMemory


@dataclass
class LevelInputs:
    """L2-normalised ``queries [B, D]``, their pseudo-labels ``labels [B]``, the memory, ``centroid_sims [B, C]``,
    the hard-sample modes, and ``positive_mask()``: the members that may be a query's farthest positive
    (``[N]``, ``[B, N]`` or ``None`` for all)."""

    queries: Tensor
    labels: Tensor
    memory: ClusterMemory
    centroid_sims: Tensor
    intra_mode: ExtremeMode
    inter_mode: ExtremeMode
    positive_mask: Callable[[], Tensor | None]

    @cached_property
    def query_extremes(self) -> tuple[Tensor, Tensor]:
        """``farthest_own [B]`` (the least similar allowed member of the own cluster) and ``hardest [B, C]``
        (the most similar member of every cluster), relative to each query."""
        return self.memory.instance_extremes(self.queries, self.labels, positive_mask=self.positive_mask())

    @cached_property
    def boundary(self) -> Tensor:
        """``[B, C]`` similarity of each query to each cluster's member farthest from its centroid."""
        return self.memory.boundary_similarities(self.queries)  # [B, C]

    def own_column(self, sims: Tensor) -> Tensor:
        """``[B]``: ``sims[b, labels[b]]`` of ``sims [B, C]``."""
        return sims.gather(1, self.labels.unsqueeze(1)).squeeze(1)  # [B]


def replace_column(logits: Tensor, labels: Tensor, values: Tensor) -> Tensor:
    """``logits [B, C]`` with ``logits[b, labels[b]] = values[b]`` (out of place, differentiable)."""
    own = F.one_hot(labels, logits.shape[1]).bool()  # [B, C]
    return torch.where(own, values.unsqueeze(1), logits)  # [B, C]
