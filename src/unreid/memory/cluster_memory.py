"""Cluster memory: momentum-updated centroids plus per-instance features.

The centroid half is the memory of Cluster Contrast (Dai et al., "Cluster Contrast for
Unsupervised Person Re-Identification", ACCV 2022). The instance half keeps one
feature per clustered training image, so the multi-level loss can find the farthest
instance of the query's own cluster and the hardest instance of every other cluster.

All state changes happen in the named ``@torch.no_grad()`` methods
:meth:`ClusterMemory.update_centroids` and :meth:`ClusterMemory.update_instances`,
called by the training loop after the backward pass; nothing is hidden in autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def cluster_centroids(features: Tensor, labels: Tensor, num_clusters: int) -> Tensor:
    """L2-normalised mean feature of each cluster; labels ``< 0`` are ignored."""
    keep = labels >= 0
    feats, labs = features[keep], labels[keep]  # [M, D], [M]
    sums = torch.zeros(num_clusters, features.shape[1], dtype=features.dtype, device=features.device)
    sums.index_add_(0, labs, feats)  # [C, D]
    return F.normalize(sums, dim=1)  # [C, D]


def occurrence_rank(labels: Tensor) -> Tensor:
    """For each position, how many earlier positions hold the same label (0 for the first)."""
    order = torch.argsort(labels, stable=True)  # group equal labels, keep batch order
    sorted_labels = labels[order]
    starts = torch.ones_like(sorted_labels, dtype=torch.bool)
    starts[1:] = sorted_labels[1:] != sorted_labels[:-1]
    positions = torch.arange(labels.numel(), device=labels.device)
    group_start = torch.cummax(torch.where(starts, positions, 0), dim=0).values  # [B]
    ranks = torch.empty_like(labels)
    ranks[order] = positions - group_start
    return ranks


class ClusterMemory(nn.Module):
    """Centroid and instance memory for one epoch's pseudo-labels.

    Args:
        features: ``[N, D]`` L2-normalised features of the clustered training images.
        labels: ``[N]`` cluster ids in ``[0, C)``; ``-1`` (outliers) get no instance slot use.
        num_clusters: ``C``.
        momentum: centroid momentum ``m``: ``c <- normalise(m * c + (1 - m) * f)``
            (Cluster Contrast's convention, default 0.1).
        instance_momentum: the same for instance features.
    """

    centroids: Tensor
    instances: Tensor
    instance_labels: Tensor

    def __init__(
        self, *, features: Tensor, labels: Tensor, num_clusters: int, momentum: float = 0.1, instance_momentum: float = 0.1
    ) -> None:
        super().__init__()
        if features.shape[0] != labels.shape[0]:
            raise ValueError(f"features have {features.shape[0]} rows but labels {labels.shape[0]}")
        if not 0.0 <= momentum <= 1.0 or not 0.0 <= instance_momentum <= 1.0:
            raise ValueError("momentum and instance_momentum must lie in [0, 1]")
        features = F.normalize(features.detach().float(), dim=1)
        labels = labels.detach().long()
        self.momentum = momentum
        self.instance_momentum = instance_momentum
        self.num_clusters = num_clusters
        self.register_buffer("centroids", cluster_centroids(features, labels, num_clusters))  # [C, D]
        self.register_buffer("instances", features.clone())  # [N, D]
        self.register_buffer("instance_labels", labels.clone())  # [N]

    @torch.no_grad()
    def update_centroids(self, features: Tensor, labels: Tensor) -> None:
        """Momentum update, one sample at a time in batch order (as Cluster Contrast does).

        Samples of different clusters are independent, so the k-th occurrences of all
        clusters are applied together: ``K`` vectorised steps instead of ``B``.
        """
        features = features.detach().float()
        ranks = occurrence_rank(labels)  # [B]
        for rank in range(int(ranks.max().item()) + 1 if labels.numel() else 0):
            sel = ranks == rank
            ids = labels[sel]  # [b], unique
            mixed = self.momentum * self.centroids[ids] + (1.0 - self.momentum) * features[sel]  # [b, D]
            self.centroids[ids] = F.normalize(mixed, dim=1)

    @torch.no_grad()
    def update_instances(self, features: Tensor, indices: Tensor) -> None:
        """Momentum update of the instance features at ``indices``; negative indices are skipped.

        Generated images carry index ``-1``: they update centroids but own no instance slot.
        """
        keep = indices >= 0
        idx = indices[keep]
        mixed = self.instance_momentum * self.instances[idx] + (1.0 - self.instance_momentum) * features.detach().float()[keep]
        self.instances[idx] = F.normalize(mixed, dim=1)  # [b, D]

    def centroid_similarities(self, queries: Tensor) -> Tensor:
        """Cosine similarity of each query to each centroid."""
        return queries @ self.centroids.t()  # [B, D] @ [D, C] -> [B, C]

    def instance_extremes(self, queries: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """Per query: similarity to the farthest instance of its own cluster, and to the
        hardest (most similar) instance of every cluster.

        Returns:
            ``farthest_own [B]`` and ``hardest [B, C]`` (column ``labels[b]`` holds the
            *most* similar instance of the own cluster, which callers replace).
        """
        sims = queries @ self.instances.t()  # [B, D] @ [D, N] -> [B, N]
        clustered = self.instance_labels >= 0
        sims, inst_labels = sims[:, clustered], self.instance_labels[clustered]  # [B, M], [M]
        index = inst_labels.unsqueeze(0).expand_as(sims)  # [B, M]
        hardest = torch.full(
            (sims.shape[0], self.num_clusters), -2.0, dtype=sims.dtype, device=sims.device
        ).scatter_reduce(1, index, sims, reduce="amax", include_self=False)  # [B, C]
        own = inst_labels.unsqueeze(0) == labels.unsqueeze(1)  # [B, M]
        farthest_own = sims.masked_fill(~own, 2.0).amin(dim=1)  # [B]
        return farthest_own, hardest
