"""How DBSCAN's radius ``eps`` is chosen each epoch: fixed, scheduled, or derived from the data.

A fixed ``eps`` (Cluster Contrast's 0.6 on Market-1501) is tuned for one data set and one
stage of training. As features sharpen, the Jaccard distances within a person shrink and
a fixed radius starts to chain neighbouring people together. Two label-free alternatives:

* ``schedule``: ``eps`` moves linearly from ``eps_start`` to ``eps`` over the first epochs;
* ``auto``: ``eps`` is the mean of the smallest ``rho`` fraction of all pairwise distances
  (the rule of Song et al., "Unsupervised Domain Adaptive Re-Identification: Theory and
  Practice", Pattern Recognition 2020, with ``rho = 1.6e-3``), recomputed every epoch.
"""

from __future__ import annotations

import math
from enum import Enum

import torch
from torch import Tensor

from unreid.clustering.sparse_distances import MISSING_DISTANCE, SparseDistances


class EpsPolicy(str, Enum):
    """How :func:`cluster_features` gets DBSCAN's ``eps`` (see the module docstring)."""

    FIXED = "fixed"
    SCHEDULE = "schedule"
    AUTO = "auto"
    CROSS_CAMERA = "cross_camera"


def scheduled_eps(*, epoch: int, start: float, end: float, epochs: int) -> float:
    """``start`` at epoch 0, moving linearly to ``end`` at epoch ``epochs`` and staying there."""
    if epochs <= 0 or epoch >= epochs:
        return end
    return start + (end - start) * epoch / epochs


def eps_from_distances(distances: SparseDistances | Tensor, *, rho: float) -> float:
    """Mean of the smallest ``rho`` fraction of the ``N (N - 1) / 2`` off-diagonal distances.

    Args:
        distances: exact sparse distances (``max_distance`` 1: every unstored pair is at
            :data:`MISSING_DISTANCE`), or a dense symmetric ``[N, N]`` matrix.
        rho: the fraction, in ``(0, 1]``.

    Raises:
        ValueError: for ``rho`` outside ``(0, 1]`` or sparse distances cut below 1.
    """
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho={rho} must lie in (0, 1]")
    if isinstance(distances, SparseDistances):
        if distances.max_distance < MISSING_DISTANCE:
            raise ValueError("eps_from_distances needs exact distances (max_distance=1), not ones cut at eps")
        n = distances.n
        upper = distances.values[distances.rows < distances.cols]  # [E / 2], each pair once
    else:
        n = distances.shape[0]
        rows, cols = torch.triu_indices(n, n, offset=1, device=distances.device)
        upper = distances[rows, cols]  # [N (N - 1) / 2]
    total = n * (n - 1) // 2
    count = max(1, int(round(rho * total)))
    smallest = torch.sort(upper.float()).values[:count]  # [<= count]
    missing = count - smallest.numel()  # pairs beyond the stored ones sit at distance 1
    mean = (float(smallest.sum()) + missing * MISSING_DISTANCE) / count
    return float(mean) if math.isfinite(mean) else MISSING_DISTANCE
