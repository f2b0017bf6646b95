"""End to end: features -> Jaccard -> DBSCAN pseudo-labels."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from unreid.clustering import ClusteringSettings, JaccardMethod, cluster_features, label_quality

MakeClustered = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def test_sparse_and_dense_agree_and_find_identities(make_clustered: MakeClustered) -> None:
    features, identities = make_clustered(n=300, num_ids=15, dim=32, seed=0, spread=0.5)
    sparse = cluster_features(features, ClusteringSettings(method=JaccardMethod.SPARSE))
    dense = cluster_features(features, ClusteringSettings(method="dense"))
    assert torch.equal(sparse.labels, dense.labels)
    assert sparse.num_clusters == int(sparse.labels.max()) + 1
    assert sparse.num_outliers == int((sparse.labels == -1).sum())
    assert set(sparse.timings) == {"jaccard", "dbscan"}
    assert sorted(set(sparse.labels.tolist()) - {-1}) == list(range(sparse.num_clusters))
    quality = label_quality(sparse.labels, identities)
    assert quality["precision"] > 0.95 and quality["recall"] > 0.8


def test_settings_refuse_an_unknown_method_and_a_negative_eps() -> None:
    with pytest.raises(ValueError, match=r"method='hdbscan'; valid values: \['sparse', 'dense'\]"):
        ClusteringSettings(method="hdbscan")
    with pytest.raises(ValueError, match="eps=-0.1 must be >= 0"):
        ClusteringSettings(eps=-0.1)
