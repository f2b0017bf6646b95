"""DBSCAN's ``eps`` chosen each epoch by a label-free criterion: the most clusters that span cameras.

A person walks past several cameras; a cluster whose crops all come from one camera is
most often a near-duplicate run of frames (too small an ``eps``) or a camera's
background (the failure on two-camera sets), and a radius that chains people together
turns many cross-camera clusters into a few giant ones (too large an ``eps``). So the
number of clusters that hold crops of at least two cameras rises, peaks, and falls as
``eps`` grows, and its peak sits near the radius with the best pair F-score. On
market1501-dev features (ImageNet and after 2 epochs, collections of 50 to 501 people)
the peak's pair F was within 0.07 of the best radius' and far above the ``rho`` rule's,
which drifts with the collection size (RESULTS.md, "Clustering without labels").
Without cameras the criterion is the number of clusters.

The search evaluates a coarse grid, then the midpoints beside the best value; ties go
to the smaller ``eps`` (the more cautious clusters).
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import Tensor

from unreid.clustering.dbscan import dbscan_with_core
from unreid.clustering.sparse_distances import SparseDistances

logger = logging.getLogger(__name__)

COARSE_GRID: tuple[float, ...] = tuple(round(0.25 + 0.05 * i, 3) for i in range(14))  # 0.25 .. 0.90
"""The radii tried first; the two midpoints beside the best one are tried next."""


def largest_radius(grid: tuple[float, ...] = COARSE_GRID) -> float:
    """The largest ``eps`` :func:`search_eps` can try on ``grid`` (its last radius plus a midpoint step):
    distances beyond it never matter to the search, so they need not be stored."""
    return grid[-1] + _midpoint_step(grid)


def _midpoint_step(grid: tuple[float, ...]) -> float:
    return float(np.min(np.diff(grid))) / 2 if len(grid) > 1 else 0.025


def cross_camera_clusters(labels: Tensor, cameras: Tensor) -> int:
    """How many clusters (labels ``>= 0``) hold crops of at least two cameras.

    Args:
        labels: ``[N]`` cluster labels, ``-1`` for outliers.
        cameras: ``[N]`` camera ids.
    """
    member = labels >= 0  # [N]
    if not bool(member.any()):
        return 0
    pairs = torch.unique(torch.stack([labels[member], cameras.to(labels.device)[member]]), dim=1)  # [2, P]
    per_cluster = torch.bincount(pairs[0])  # [C]: cameras of each cluster
    return int((per_cluster >= 2).sum())


def _criterion(labels: Tensor, cameras: Tensor | None) -> int:
    if cameras is None:
        return int(labels.max()) + 1 if labels.numel() else 0
    return cross_camera_clusters(labels, cameras)


def search_eps(distances: SparseDistances | Tensor, *, cameras: Tensor | None, min_samples: int,
               grid: tuple[float, ...] = COARSE_GRID) -> tuple[float, Tensor, Tensor]:
    """The radius with the most cross-camera clusters (most clusters when ``cameras`` is ``None`` or
    holds one camera), with its DBSCAN labels and core flags.

    Args:
        distances: exact distances (sparse with ``max_distance`` 1, or dense ``[N, N]``).
        cameras: ``[N]`` camera ids, or ``None``.
        min_samples: DBSCAN's core-point count.
        grid: the coarse radii, ascending, each in ``(0, 1)``.

    Returns:
        ``(eps, labels [N], core [N])``.
    """
    if cameras is not None and torch.unique(cameras).numel() < 2:
        cameras = None
    tried: dict[float, tuple[int, Tensor, Tensor]] = {}

    def attempt(eps: float) -> None:
        if eps not in tried and 0.0 < eps < 1.0:
            labels, core = dbscan_with_core(distances, eps=eps, min_samples=min_samples)  # [N], [N]
            tried[eps] = (_criterion(labels, cameras), labels, core)

    for eps in grid:
        attempt(eps)
    best = max(tried, key=lambda e: (tried[e][0], -e))
    step = _midpoint_step(grid)
    for eps in (round(best - step, 4), round(best + step, 4)):
        attempt(eps)
    best = max(tried, key=lambda e: (tried[e][0], -e))
    score, labels, core = tried[best]
    logger.debug("eps search: %s", {e: tried[e][0] for e in sorted(tried)})
    logger.info("eps %.3f: %d %s (searched %d radii)", best, score,
                "clusters across cameras" if cameras is not None else "clusters (no cameras)", len(tried))
    return best, labels, core
