"""End to end: features -> Jaccard -> DBSCAN pseudo-labels."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from unreid.clustering import JaccardMethod, cluster_features, label_quality

MakeClustered = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def test_sparse_and_dense_agree_and_find_identities(make_clustered: MakeClustered) -> None:
    features, identities = make_clustered(n=300, num_ids=15, dim=32, seed=0, spread=0.5)
    sparse = cluster_features(features, method=JaccardMethod.SPARSE)
    dense = cluster_features(features, method="dense")
    assert torch.equal(sparse.labels, dense.labels)
    assert sparse.num_clusters == int(sparse.labels.max()) + 1
    assert sparse.num_outliers == int((sparse.labels == -1).sum())
    assert set(sparse.timings) == {"jaccard", "dbscan"}
    assert sorted(set(sparse.labels.tolist()) - {-1}) == list(range(sparse.num_clusters))
    quality = label_quality(sparse.labels, identities)
    assert quality["precision"] > 0.95 and quality["recall"] > 0.8


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="valid values"):
        cluster_features(torch.randn(10, 4), method="hdbscan")
