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

from unreid.losses.camera_entropy_weight import cluster_camera_entropy


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
        core: ``[N]`` bool, the confident members (DBSCAN core points); default all.
        cameras: ``[N]`` camera id of each image (``-1``: unknown, the default), for the
            camera-aware loss options; ``camera_entropy [C]`` is its members' camera entropy.
    """

    centroids: Tensor
    instances: Tensor
    instance_labels: Tensor
    core: Tensor
    instance_cameras: Tensor
    camera_entropy: Tensor

    def __init__(
        self, *, features: Tensor, labels: Tensor, num_clusters: int, momentum: float = 0.1, instance_momentum: float = 0.1,
        core: Tensor | None = None, cameras: Tensor | None = None,
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
        core = torch.ones_like(labels, dtype=torch.bool) if core is None else core.to(labels.device).bool()
        if core.shape != labels.shape:
            raise ValueError(f"core has shape {tuple(core.shape)} but labels {tuple(labels.shape)}")
        self.register_buffer("core", core.clone())  # [N]
        cameras = torch.full_like(labels, -1) if cameras is None else cameras.to(labels.device).long()
        if cameras.shape != labels.shape:
            raise ValueError(f"cameras has shape {tuple(cameras.shape)} but labels {tuple(labels.shape)}")
        self.register_buffer("instance_cameras", cameras.clone())  # [N]
        self.register_buffer("camera_entropy", cluster_camera_entropy(labels, cameras, num_clusters))  # [C]

    @torch.no_grad()
    def update_centroids(self, features: Tensor, labels: Tensor, *, max_occurrences: int | None = None) -> None:
        """Momentum update, one sample at a time in batch order (as Cluster Contrast does).

        Samples of different clusters are independent, so the k-th occurrences of all
        clusters are applied together: ``K`` vectorised steps instead of ``B``.

        Args:
            features: ``[B, D]`` batch features.
            labels: ``[B]`` their cluster ids.
            max_occurrences: an upper bound on how often one label occurs in the batch
                (``K`` of a P x K batch). Given, the update never waits for the device;
                otherwise ``K`` is read from ``labels`` (one host-device synchronisation).
        """
        features = features.detach().float()
        ranks = occurrence_rank(labels)  # [B]
        if max_occurrences is None:
            for rank in range(int(ranks.max().item()) + 1 if labels.numel() else 0):
                sel = ranks == rank
                ids = labels[sel]  # [b], unique
                mixed = self.momentum * self.centroids[ids] + (1.0 - self.momentum) * features[sel]  # [b, D]
                self.centroids[ids] = F.normalize(mixed, dim=1)
            return
        for rank in range(max_occurrences):  # static shapes: no host-device synchronisation
            sel = (ranks == rank).to(features.dtype)  # [B]
            hits = torch.zeros(self.num_clusters, dtype=features.dtype, device=features.device)
            hits.index_add_(0, labels, sel)  # [C] 1 where a cluster has its rank-th occurrence
            incoming = torch.zeros_like(self.centroids).index_add_(0, labels, features * sel.unsqueeze(1))  # [C, D]
            mixed = F.normalize(self.momentum * self.centroids + (1.0 - self.momentum) * incoming, dim=1)  # [C, D]
            self.centroids.copy_(torch.where(hits.unsqueeze(1) > 0, mixed, self.centroids))

    @torch.no_grad()
    def update_instances(self, features: Tensor, indices: Tensor, *, max_occurrences: int | None = None) -> None:
        """Momentum update of the instance features at ``indices``; negative indices are skipped.

        Generated images carry index ``-1``: they update centroids but own no instance slot.
        An image drawn twice into one batch (a cluster smaller than ``K``) is updated twice, in
        batch order, one occurrence rank at a time: a single indexed write with repeated indices
        lets threads race for the last word (same-seed runs then differ with several CPU threads).

        Args:
            max_occurrences: given (accelerators, no host-device synchronisation), one write for all
                occurrences, as before: repeated indices keep an arbitrary one of their updates.
        """
        keep = indices >= 0
        idx = indices[keep]  # [b]
        feats = features.detach().float()[keep]  # [b, D]
        if max_occurrences is not None:
            mixed = self.instance_momentum * self.instances[idx] + (1.0 - self.instance_momentum) * feats
            self.instances[idx] = F.normalize(mixed, dim=1)  # [b, D]
            return
        ranks = occurrence_rank(idx)  # [b]: 0 for the first occurrence of an index, 1 for the second, ...
        for rank in range(int(ranks.max().item()) + 1 if idx.numel() else 0):
            sel = ranks == rank  # [b], indices unique within one rank
            rows = idx[sel]  # [b_r]
            mixed = self.instance_momentum * self.instances[rows] + (1.0 - self.instance_momentum) * feats[sel]
            self.instances[rows] = F.normalize(mixed, dim=1)  # [b_r, D]

    def centroid_similarities(self, queries: Tensor) -> Tensor:
        """Cosine similarity of each query to each centroid."""
        return queries @ self.centroids.t()  # [B, D] @ [D, C] -> [B, C]

    def boundary_members(self) -> Tensor:
        """``[C]`` index of each cluster's member farthest from its own centroid (the
        cluster-relative reading of "farthest sample"); ``-1`` for an empty cluster."""
        clustered = torch.nonzero(self.instance_labels >= 0).squeeze(1)  # [M]
        labels = self.instance_labels[clustered]  # [M]
        to_own = (self.instances[clustered] * self.centroids[labels]).sum(dim=1)  # [M]
        order = torch.argsort(to_own, stable=True)  # farthest (least similar) first
        order = order[torch.argsort(labels[order], stable=True)]  # grouped by cluster, farthest first in each
        sorted_labels = labels[order]  # [M]
        first = torch.ones_like(sorted_labels, dtype=torch.bool)
        first[1:] = sorted_labels[1:] != sorted_labels[:-1]
        members = torch.full((self.num_clusters,), -1, dtype=torch.long, device=labels.device)  # [C]
        members[sorted_labels[first]] = clustered[order[first]]
        return members

    def boundary_similarities(self, queries: Tensor) -> Tensor:
        """``[B, C]`` similarity of each query to each cluster's :meth:`boundary_members`
        (to the centroid for an empty cluster)."""
        members = self.boundary_members()  # [C]
        boundary = torch.where((members >= 0).unsqueeze(1), self.instances[members.clamp(min=0)], self.centroids)  # [C, D]
        return queries @ boundary.t()  # [B, D] @ [D, C] -> [B, C]

    def instance_extremes(
        self, queries: Tensor, labels: Tensor, *, positive_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Per query: similarity to the farthest instance of its own cluster, and to the
        hardest (most similar) instance of every cluster.

        Args:
            queries: ``[B, D]`` L2-normalised features.
            labels: ``[B]`` their cluster ids.
            positive_mask: ``[N]`` bool, the instances that may serve as the farthest positive
                (e.g. core points, or the current batch), or ``[B, N]`` one row per query;
                a query whose cluster has none falls back to its own centroid. ``None``: every member.

        Returns:
            ``farthest_own [B]`` and ``hardest [B, C]`` (column ``labels[b]`` holds the
            *most* similar instance of the own cluster, which callers replace).
        """
        sims = queries @ self.instances.t()  # [B, D] @ [D, N] -> [B, N]
        clustered = self.instance_labels >= 0  # [N]
        candidates = clustered if positive_mask is None else clustered & positive_mask  # [N] or [B, N]
        inst_labels = self.instance_labels[clustered]  # [M]
        index = inst_labels.unsqueeze(0).expand(sims.shape[0], -1)  # [B, M]
        hardest = torch.full(
            (sims.shape[0], self.num_clusters), -2.0, dtype=sims.dtype, device=sims.device
        ).scatter_reduce(1, index, sims[:, clustered], reduce="amax", include_self=False)  # [B, C]
        own = (self.instance_labels.unsqueeze(0) == labels.unsqueeze(1)) & (
            candidates if candidates.dim() == 2 else candidates.unsqueeze(0))  # [B, N]
        farthest_own = sims.masked_fill(~own, 2.0).amin(dim=1)  # [B]
        if positive_mask is not None:
            own_centroid = (queries * self.centroids[labels]).sum(dim=1)  # [B]
            farthest_own = torch.where(own.any(dim=1), farthest_own, own_centroid)  # [B]
        return farthest_own, hardest
