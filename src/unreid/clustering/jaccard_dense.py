"""Reference k-reciprocal Jaccard distance with dense ``N x N`` matrices.

Zhong et al., "Re-ranking Person Re-identification with k-reciprocal Encoding", CVPR 2017,
in the form Cluster Contrast (Dai et al., ACCV 2022) and its predecessors (SpCL, Ge et al.,
NeurIPS 2020) feed to DBSCAN:

1. ``F(i)``: the ``k1`` nearest neighbours of ``i`` by cosine similarity, ``i`` itself
   first (Cluster Contrast searches ``k1`` neighbours, so ``F(i)`` has ``k1`` members).
2. ``R(i) = {j in F(i) : i in F(j)}``, the k-reciprocal set; ``R_half(i)`` is the same
   with the first ``round(k1 / 2) + 1`` neighbours (numpy/Python round-half-to-even).
3. Expansion: for every candidate ``c`` in ``R(i)``, add ``R_half(c)`` to the set when
   ``|R_half(c) & R(i)| > 2/3 |R_half(c)|`` (evaluated exactly as ``3 * overlap > 2 * size``).
4. Encoding: ``V[i, j] = exp(-d(i, j)) / sum_{j' in E(i)} exp(-d(i, j'))`` over the expanded
   set ``E(i)``, with ``d = 2 - 2 cos`` the original squared Euclidean distance.
5. Local query expansion: ``V_qe[i] = mean(V[F_k2(i)])`` over the first ``k2`` neighbours.
6. ``J(i, j) = 1 - sum_m min(V_qe[i, m], V_qe[j, m]) / sum_m max(V_qe[i, m], V_qe[j, m])``.

This module is the simple, readable reference for the weighting and the Jaccard step
(``O(N^2)`` memory, ``O(N^2 k)`` time); the sets ``E(i)`` of steps 2-3 come from
:func:`unreid.clustering.k_reciprocal_encoding.expanded_reciprocal_sets`, shared with the
sparse version and the re-ranking.
:func:`unreid.clustering.jaccard_sparse.jaccard_distance_sparse` computes the same values
in ``O(N k)`` memory and is tested against it.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.k_reciprocal_encoding import (
    expanded_reciprocal_sets,
    expanded_set_rows,
)
from unreid.clustering.knn import KnnBackend, knn
from unreid.clustering.memory_budget import require_memory

logger = logging.getLogger(__name__)

DENSE_BYTES_PER_PAIR = 21
"""Bytes per ``(i, j)`` pair reserved before computing: float32 and bool ``N x N`` matrices at once."""


def neighbourhood_sizes(*, n: int, k1: int, k2: int) -> tuple[int, int, int]:
    """``(k1, k1_half, k2)`` list lengths actually used for ``n`` samples.

    ``k1`` and ``k2`` are clamped to ``n``; the half list has ``round(k1 / 2) + 1`` members
    (Python/numpy round-half-to-even), at most ``k1``, as in Cluster Contrast, where the
    neighbour table has only ``k1`` columns.

    Raises:
        ValueError: if ``k1`` or ``k2`` is below 1 or ``n`` is 0.
    """
    if k1 < 1 or k2 < 1:
        raise ValueError(f"k1={k1} and k2={k2} must both be >= 1")
    if n < 1:
        raise ValueError("need at least one sample")
    k1 = min(k1, n)
    return k1, min(round(k1 / 2) + 1, k1), min(k2, n)


def jaccard_distance_dense(features: Tensor, *, k1: int = 30, k2: int = 6) -> Tensor:
    """Dense k-reciprocal Jaccard distance (see the module docstring for the definition).

    Args:
        features: ``[N, D]`` features; L2-normalised here (in float32).
        k1: k-reciprocal neighbourhood size.
        k2: local query expansion size (1 disables it).

    Returns:
        ``[N, N]`` float32 distances on the features' device: symmetric, zero diagonal,
        values in ``[0, 1]``, exactly 1 where the two encodings share no support.

    Raises:
        ValueError: before allocating, when the ``N x N`` matrices cannot fit in free memory.
    """
    n = features.shape[0]
    require_memory(
        needed=DENSE_BYTES_PER_PAIR * n * n, device=features.device, what=f"the dense Jaccard distance of {n} images",
        fix="use the sparse method (cluster.method=sparse), which needs O(N k) memory",
    )
    x = F.normalize(features.detach().float(), dim=1)  # [N, D]
    k1, k1_half, k2 = neighbourhood_sizes(n=n, k1=k1, k2=k2)
    _, ranks = knn(x, k=k1, backend=KnnBackend.TORCH)  # [N, k1], self first
    keys = expanded_reciprocal_sets(ranks, k1_half=k1_half)  # [P]  steps 2-3
    expanded = expanded_set_rows(keys, start=0, stop=n, n=n)  # [N, N]  E(i)

    distance = 2.0 - 2.0 * (x @ x.T)  # [N, N]
    weights = torch.where(expanded, torch.exp(-distance), torch.zeros_like(distance))  # [N, N]
    encoding = weights / weights.sum(1, keepdim=True)  # [N, N]  V
    del keys, expanded, distance, weights

    if k2 > 1:
        expanded_query = torch.zeros_like(encoding)  # [N, N]
        for p in range(k2):
            expanded_query += encoding[ranks[:, p]]
        encoding = expanded_query / k2  # [N, N]  V_qe

    mass = encoding.sum(1)  # [N]
    jaccard = torch.empty_like(encoding)  # [N, N]
    for i in range(n):
        support = encoding[i].nonzero().squeeze(1)  # [s]
        shared = torch.minimum(encoding[i, support], encoding[:, support]).sum(1)  # [N]  sum of min
        jaccard[i] = 1.0 - shared / (mass[i] + mass - shared)  # sum of max = |a| + |b| - sum of min
    jaccard = ((jaccard + jaccard.T) / 2).clamp_(0.0, 1.0)  # [N, N]
    jaccard.fill_diagonal_(0.0)
    return jaccard
