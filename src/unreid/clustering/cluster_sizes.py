"""The size distribution of one clustering round: how much DBSCAN merges, and how much it drops.

A healthy round on Market-1501 has clusters of a dozen images or so; one cluster of
hundreds means DBSCAN chained several people together, and the model will learn to
confuse them. These label-free statistics are logged every epoch.
"""

from __future__ import annotations

import numpy as np
from torch import Tensor


def cluster_size_stats(labels: Tensor | np.ndarray, *, top: int = 3) -> dict[str, float]:
    """Summary of the cluster sizes of ``labels`` (``-1`` = outlier, not a cluster).

    Args:
        labels: ``[N]`` cluster ids in ``[0, C)`` or ``-1``.
        top: how many of the largest clusters to report.

    Returns:
        ``size_max``, ``size_median``, ``size_mean``, ``size_top{i}`` for ``i < top`` (0 where
        there are fewer clusters), ``small_clusters`` (clusters of at most 2 images) and
        ``outlier_share`` (the fraction of samples that are outliers).
    """
    array = labels.detach().cpu().numpy() if isinstance(labels, Tensor) else np.asarray(labels)
    array = array.astype(np.int64).reshape(-1)
    sizes = np.bincount(array[array >= 0])
    sizes = sizes[sizes > 0]
    ordered = np.sort(sizes)[::-1]
    stats: dict[str, float] = {
        "size_max": float(ordered[0]) if ordered.size else 0.0,
        "size_median": float(np.median(sizes)) if sizes.size else 0.0,
        "size_mean": float(sizes.mean()) if sizes.size else 0.0,
        "small_clusters": float((sizes <= 2).sum()),
        "outlier_share": float((array < 0).mean()) if array.size else 0.0,
    }
    for i in range(top):
        stats[f"size_top{i}"] = float(ordered[i]) if i < ordered.size else 0.0
    return stats
