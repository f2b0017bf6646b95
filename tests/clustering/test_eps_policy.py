"""eps policies: the schedule's closed form, and the data-derived eps on sparse and dense distances."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.eps_policy import eps_from_distances, scheduled_eps
from unreid.clustering.jaccard_dense import jaccard_distance_dense
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.pseudo_labels import ClusteringSettings, cluster_features


def test_schedule_is_linear_then_flat() -> None:
    assert scheduled_eps(epoch=0, start=0.7, end=0.5, epochs=4) == pytest.approx(0.7)
    assert scheduled_eps(epoch=2, start=0.7, end=0.5, epochs=4) == pytest.approx(0.6)
    assert scheduled_eps(epoch=9, start=0.7, end=0.5, epochs=4) == pytest.approx(0.5)
    assert scheduled_eps(epoch=0, start=0.7, end=0.5, epochs=0) == pytest.approx(0.5)


def test_dense_hand_computed() -> None:
    d = torch.tensor([[0.0, 0.2, 0.9], [0.2, 0.0, 0.4], [0.9, 0.4, 0.0]])
    # pairs: 0.2, 0.4, 0.9; the smallest two thirds -> mean(0.2, 0.4)
    assert eps_from_distances(d, rho=2 / 3) == pytest.approx(0.3)
    assert eps_from_distances(d, rho=1.0) == pytest.approx(0.5)


def test_sparse_equals_dense(make_clustered) -> None:  # type: ignore[no-untyped-def]
    blobs, _ = make_clustered(n=150, num_ids=10, dim=16, seed=0)
    dense = jaccard_distance_dense(blobs, k1=10, k2=3)
    sparse = jaccard_distance_sparse(blobs, k1=10, k2=3)
    for rho in (1e-3, 0.01, 0.2, 1.0):
        assert eps_from_distances(sparse, rho=rho) == pytest.approx(eps_from_distances(dense, rho=rho), abs=1e-5)


def test_cut_sparse_distances_are_refused(make_clustered) -> None:  # type: ignore[no-untyped-def]
    blobs, _ = make_clustered(n=60, num_ids=5, dim=16, seed=0)
    with pytest.raises(ValueError, match="exact distances"):
        eps_from_distances(jaccard_distance_sparse(blobs, k1=10, k2=3, max_distance=0.5), rho=0.01)


def test_auto_eps_finds_the_blobs() -> None:
    torch.manual_seed(0)
    centres = F.normalize(torch.randn(6, 32), dim=1)
    feats = F.normalize(centres.repeat_interleave(20, 0) + 0.05 * torch.randn(120, 32), dim=1)
    result = cluster_features(feats, ClusteringSettings(k1=15, k2=4, min_samples=4, eps=0.0, auto_eps_rho=0.15))
    assert 0.0 < result.eps < 1.0
    assert result.num_clusters == 6
    assert result.core is not None and int(result.core.sum()) > 60
