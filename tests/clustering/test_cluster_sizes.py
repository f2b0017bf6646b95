"""Cluster-size statistics of a labelling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unreid.clustering.cluster_sizes import cluster_size_stats


def test_hand_computed_sizes() -> None:
    # clusters: 0 -> 3 images, 1 -> 1 image, 2 -> 2 images; two outliers
    stats = cluster_size_stats(torch.tensor([0, 0, 0, 1, 2, 2, -1, -1]), top=4)
    assert stats["size_max"] == 3
    assert stats["size_median"] == 2
    assert stats["size_mean"] == pytest.approx(2.0)
    assert [stats[f"size_top{i}"] for i in range(4)] == [3, 2, 1, 0]
    assert stats["small_clusters"] == 2
    assert stats["outlier_share"] == pytest.approx(2 / 8)


def test_all_outliers() -> None:
    stats = cluster_size_stats(np.full(5, -1))
    assert stats["size_max"] == 0 and stats["outlier_share"] == 1.0
