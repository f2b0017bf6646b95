"""Sweep the clustering settings (``k1``, ``eps``, ``min_samples``; or Infomap's) on fixed features.

One Jaccard distance per ``k1`` (cut at the largest ``eps``, which keeps every pair any
smaller ``eps`` needs), then one DBSCAN per ``(eps, min_samples)``: a grid of dozens of
settings on 12,936 Market-1501 features takes seconds on a CPU. :func:`sweep_infomap` does the
same for ``cluster.algorithm=infomap`` (one kNN graph per ``k``). With ground truth (``truth``),
each setting is scored as :func:`label_quality` does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.cluster_sizes import cluster_size_stats
from unreid.clustering.dbscan import NOISE, dbscan
from unreid.clustering.eps_policy import eps_from_distances
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.label_quality import false_merge_camera_share, label_quality
from unreid.clustering.sparse_distances import MISSING_DISTANCE

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ClusteringGrid:
    """The DBSCAN settings :func:`sweep_clustering` tries: every ``k1`` x (``eps`` or ``rho``) x ``min_samples``.

    Attributes:
        k1_values / eps_values / min_samples_values: the grid.
        k2: local query expansion size (one for the whole grid).
        auto_rho_values: also derive eps from the distances with each of these ``rho``.

    Raises:
        ValueError: for an ``eps`` outside ``[0, 1)``.
    """

    k1_values: Sequence[int]
    eps_values: Sequence[float]
    min_samples_values: Sequence[int]
    k2: int = 6
    auto_rho_values: Sequence[float] = ()

    def __post_init__(self) -> None:
        if any(not 0.0 <= eps < 1.0 for eps in self.eps_values):
            raise ValueError(f"eps values {list(self.eps_values)} must lie in [0, 1)")


def sweep_clustering(
    features: Tensor,
    grid: ClusteringGrid,
    *,
    truth: Sequence[int] | None = None,
    cameras: Sequence[int] | None = None,
    camera_centering: bool = False,
) -> list[dict[str, float]]:
    """One row per setting of ``grid``: ``k1``, ``eps``, ``min_samples``, ``rho`` (0 unless eps came from
    ``auto_rho_values``), ``clusters``, ``outliers``, cluster sizes and, with ``truth``,
    ``precision``, ``recall``, ``f_score``, ``nmi``, ``ari`` (and ``false_merge_same_camera``
    with ``cameras``).

    Args:
        features: ``[N, D]`` features (L2-normalised here).
        grid: the settings tried.
        truth: ``[N]`` true identities, for scoring (``None``: counts only).
        cameras: ``[N]`` camera ids, for the same-camera share of wrong merges.
        camera_centering: cluster :func:`center_per_camera` features (needs ``cameras``).

    Raises:
        ValueError: for ``camera_centering`` without ``cameras``.
    """
    features = F.normalize(features.float(), dim=1)  # [N, D]
    if camera_centering:
        if cameras is None:
            raise ValueError("camera_centering needs the camera ids")
        features = center_per_camera(features, torch.as_tensor(list(cameras)))  # [N, D]
    rows: list[dict[str, float]] = []
    for k1 in grid.k1_values:
        start = time.perf_counter()
        cut = MISSING_DISTANCE if grid.auto_rho_values else max(grid.eps_values, default=0.0)
        distances = jaccard_distance_sparse(features, k1=k1, k2=grid.k2, max_distance=cut)
        logger.info("k1=%d: Jaccard distances in %.2f s", k1, time.perf_counter() - start)
        settings = [(float(eps), 0.0) for eps in grid.eps_values]
        settings += [(min(eps_from_distances(distances, rho=rho), 0.999), float(rho)) for rho in grid.auto_rho_values]
        for eps, rho in settings:
            for min_samples in grid.min_samples_values:
                labels = dbscan(distances, eps=eps, min_samples=min_samples).cpu()  # [N]
                setting = {"k1": k1, "eps": round(eps, 4), "min_samples": min_samples, "rho": rho}
                rows.append({**setting, **_scores(labels, truth=truth, cameras=cameras)})
    return rows


def sweep_infomap(
    features: Tensor,
    *,
    k_values: Sequence[int],
    min_similarity_values: Sequence[float],
    min_size_values: Sequence[int] = (2,),
    truth: Sequence[int] | None = None,
    cameras: Sequence[int] | None = None,
) -> list[dict[str, float]]:
    """One row per Infomap setting (``k``, ``min_similarity``, ``min_size``) with the columns of
    :func:`sweep_clustering` after its settings (clusters, outliers, sizes, and the scores with ``truth``)."""
    from unreid.clustering.infomap_clustering import infomap_labels, similarity_graph

    features = F.normalize(features.float(), dim=1)  # [N, D]
    rows: list[dict[str, float]] = []
    lowest = min(min_similarity_values)  # one graph per k holds the links of every floor
    for k in k_values:
        sources, targets, weights = similarity_graph(features, k=k, min_similarity=lowest)  # [E] each
        for min_similarity in min_similarity_values:
            keep = weights >= min_similarity  # [E]
            for min_size in min_size_values:
                labels = infomap_labels(features.shape[0], sources[keep], targets[keep], weights[keep],
                                        min_size=min_size)  # [N]
                setting = {"k": k, "min_similarity": float(min_similarity), "min_size": min_size}
                rows.append({**setting, **_scores(labels, truth=truth, cameras=cameras)})
    return rows


def _scores(labels: Tensor, *, truth: Sequence[int] | None, cameras: Sequence[int] | None) -> dict[str, float]:
    """Counts and sizes of ``labels [N]``, plus their quality against ``truth`` where given."""
    row: dict[str, float] = {"clusters": int(labels.max()) + 1, "outliers": int((labels == NOISE).sum()),
                             **cluster_size_stats(labels)}
    if truth is not None:
        row.update(label_quality(labels, truth))
        if cameras is not None:
            row["false_merge_same_camera"] = false_merge_camera_share(labels, truth, cameras)
    return row
