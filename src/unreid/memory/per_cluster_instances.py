"""Per-cluster K-instance memory: the hard-sample memory of HHCL.

Hu, Zhu and He, "Hard-sample Guided Hybrid Contrast Learning for Unsupervised Person
Re-Identification", arXiv:2109.12333 (HHCL; bupt-ai-cz/HHCL-ReID, its ``CMhybrid_v2`` memory). Instead
of one momentum-averaged feature per training image, each cluster keeps ``K`` recent
features of its members, written over by the batch's features *without* momentum; the
intra-class positive is the least similar of the own cluster's ``K`` and each inter-class
negative the most similar of that cluster's ``K``. The slots hold what the current model
says, not a blend of the stale features of an epoch, which is what the farthest-sample
levels need to be informative rather than noisy.

Each cluster's ``K`` slots form a ring buffer: slot ``j`` starts as its ``(j mod n)``-th
member in index order (``n`` members; deterministic, no random draw), and each batch writes
its members of the cluster at the cluster's cursor, which then moves on by as many. HHCL
writes the batch's members over slots ``1..k`` from the start each time; with ``k = K``
(the P x K batch of our defaults) both are the same.

State changes only in :meth:`PerClusterInstanceMemory.update_instances` (the ring
buffer; the centroids keep :meth:`ClusterMemory.update_centroids`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.memory.cluster_memory import ClusterMemory, occurrence_rank


class PerClusterInstanceMemory(ClusterMemory):
    """:class:`ClusterMemory` whose instance extremes come from ``K`` ring-buffered features per cluster.

    Args:
        instances_per_cluster: ``K``.
        (the rest as :class:`ClusterMemory`; ``instance_momentum`` is not used: slots are overwritten.)

    Buffers: ``slots [C, K, D]`` (features), ``slot_owner [C, K]`` (training image of each slot,
    ``-1`` in an empty cluster), ``cursor [C]`` (next slot to write).
    """

    slots: Tensor
    slot_owner: Tensor
    cursor: Tensor

    def __init__(self, *, features: Tensor, labels: Tensor, num_clusters: int, instances_per_cluster: int = 16,
                 momentum: float = 0.1, instance_momentum: float = 0.1, core: Tensor | None = None,
                 cameras: Tensor | None = None) -> None:
        super().__init__(features=features, labels=labels, num_clusters=num_clusters, momentum=momentum,
                         instance_momentum=instance_momentum, core=core, cameras=cameras)
        if instances_per_cluster < 1:
            raise ValueError(f"instances_per_cluster={instances_per_cluster}: must be >= 1")
        self.instances_per_cluster = instances_per_cluster
        owner = first_members(self.instance_labels, num_clusters, instances_per_cluster)  # [C, K]
        slots = torch.where((owner >= 0).unsqueeze(2), self.instances[owner.clamp(min=0)],
                            self.centroids.unsqueeze(1))  # [C, K, D]
        self.register_buffer("slots", slots)
        self.register_buffer("slot_owner", owner)
        self.register_buffer("cursor", torch.zeros(num_clusters, dtype=torch.long, device=owner.device))  # [C]

    @torch.no_grad()
    def update_instances(self, features: Tensor, indices: Tensor, *, max_occurrences: int | None = None) -> None:
        """Write ``features [B, D]`` of training images ``indices [B]`` into their clusters' ring buffers.

        ``max_occurrences`` is accepted for the interface of :meth:`ClusterMemory.update_instances`;
        this write never synchronises with the host, so it needs no bound.

        Images are written in batch order from each cluster's cursor; when a batch holds more
        than ``K`` members of one cluster only its last ``K`` are kept (what writing them one by
        one would leave). Negative indices (generated images, outliers) are skipped.
        """
        c, k = self.num_clusters, self.instances_per_cluster
        feats = F.normalize(features.detach().float(), dim=1)  # [B, D]
        labels = torch.where(indices >= 0, self.instance_labels[indices.clamp(min=0)], -1)  # [B]
        labels = torch.where(labels >= 0, labels, c)  # [B] skipped rows go to a spare cluster C
        ranks = occurrence_rank(labels)  # [B]
        counts = torch.zeros(c + 1, dtype=torch.long, device=labels.device).index_add_(
            0, labels, torch.ones_like(labels))  # [C + 1]
        cursor = torch.cat([self.cursor, self.cursor.new_zeros(1)])  # [C + 1]
        kept = (ranks >= counts[labels] - k) & (labels < c)  # [B] the last K of each cluster: their slots differ
        # Rows not kept are written to one spare row that is then dropped: no host-device synchronisation.
        target = torch.where(kept, labels * k + (cursor[labels] + ranks) % k, c * k)  # [B] flat slot
        slots = torch.cat([self.slots.view(c * k, -1), self.slots.new_zeros(1, self.slots.shape[2])])  # [C*K + 1, D]
        owners = torch.cat([self.slot_owner.view(c * k), self.slot_owner.new_zeros(1)])  # [C*K + 1]
        slots[target] = feats
        owners[target] = indices
        self.slots.copy_(slots[: c * k].view_as(self.slots))
        self.slot_owner.copy_(owners[: c * k].view_as(self.slot_owner))
        self.cursor.copy_((self.cursor + counts[:c]) % k)

    def slot_similarities(self, queries: Tensor) -> Tensor:
        """``[B, C, K]`` cosine similarity of each query to each slot."""
        return torch.einsum("bd,ckd->bck", queries, self.slots)  # [B, C, K]

    def instance_extremes(
        self, queries: Tensor, labels: Tensor, *, positive_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Per query: the least similar slot of its own cluster and the most similar slot of every cluster.

        ``positive_mask`` (``[N]`` or per query ``[B, N]``, over training images) restricts the
        positive to slots whose image it holds; a query whose own cluster has none falls back to
        its own centroid. Returns ``farthest_own [B]`` and ``hardest [B, C]`` as
        :meth:`ClusterMemory.instance_extremes` does.
        """
        sims = self.slot_similarities(queries)  # [B, C, K]
        filled = (self.slot_owner >= 0).unsqueeze(0)  # [1, C, K]
        hardest = sims.masked_fill(~filled, -2.0).amax(dim=2)  # [B, C]
        own = sims[torch.arange(queries.shape[0], device=queries.device), labels]  # [B, K]
        owners = self.slot_owner[labels]  # [B, K]
        allowed = owners >= 0  # [B, K]
        if positive_mask is not None:
            mask = positive_mask if positive_mask.dim() == 2 else positive_mask.unsqueeze(0).expand(queries.shape[0], -1)
            allowed = allowed & mask.gather(1, owners.clamp(min=0))  # [B, K]
        farthest_own = own.masked_fill(~allowed, 2.0).amin(dim=1)  # [B]
        if positive_mask is not None:
            own_centroid = (queries * self.centroids[labels]).sum(dim=1)  # [B]
            farthest_own = torch.where(allowed.any(dim=1), farthest_own, own_centroid)  # [B]
        return farthest_own, hardest

    def boundary_slots(self) -> Tensor:
        """``[C]`` the slot of each cluster least similar to its own centroid."""
        to_own = torch.einsum("ckd,cd->ck", self.slots, self.centroids)  # [C, K]
        return to_own.masked_fill(self.slot_owner < 0, 2.0).argmin(dim=1)  # [C]

    def boundary_members(self) -> Tensor:
        """``[C]`` training image in each cluster's :meth:`boundary_slots` (``-1``: empty cluster)."""
        return self.slot_owner.gather(1, self.boundary_slots().unsqueeze(1)).squeeze(1)  # [C]

    def boundary_similarities(self, queries: Tensor) -> Tensor:
        """``[B, C]`` similarity of each query to each cluster's boundary slot."""
        slot = self.boundary_slots()  # [C]
        boundary = self.slots[torch.arange(self.num_clusters, device=slot.device), slot]  # [C, D]
        return queries @ boundary.t()  # [B, D] @ [D, C] -> [B, C]


def first_members(labels: Tensor, num_clusters: int, k: int) -> Tensor:
    """``[C, K]``: slot ``j`` of cluster ``c`` holds its ``(j mod n_c)``-th member in index order (``-1``: no member)."""
    clustered = torch.nonzero(labels >= 0).squeeze(1)  # [M] in index order
    order = clustered[torch.argsort(labels[clustered], stable=True)]  # [M] grouped by cluster, index order inside
    counts = torch.bincount(labels[clustered], minlength=num_clusters)  # [C]
    starts = torch.cumsum(counts, 0) - counts  # [C]
    j = torch.arange(k, device=labels.device)  # [K]
    pos = starts.unsqueeze(1) + j.unsqueeze(0) % counts.clamp(min=1).unsqueeze(1)  # [C, K]
    owner = order[pos.clamp(max=max(order.numel() - 1, 0))] if order.numel() else torch.zeros_like(pos)  # [C, K]
    return torch.where(counts.unsqueeze(1) > 0, owner, -1)  # [C, K]

