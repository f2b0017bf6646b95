"""k-reciprocal Jaccard distance: dense reference properties and sparse == dense."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.jaccard_dense import jaccard_distance_dense, neighbourhood_sizes
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.sparse_distances import SparseDistances

MakeClustered = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def test_dense_is_a_bounded_symmetric_distance(make_clustered: MakeClustered) -> None:
    features, _ = make_clustered(n=200, num_ids=12, dim=24, seed=0)
    dist = jaccard_distance_dense(features, k1=20, k2=6)
    assert dist.shape == (200, 200)
    assert torch.equal(dist, dist.T)
    assert torch.all(dist.diagonal() == 0)
    assert dist.min() >= 0 and dist.max() <= 1
    assert (dist < 1).any() and (dist == 1).any()


def test_identical_features_are_at_distance_zero(make_clustered: MakeClustered) -> None:
    features, _ = make_clustered(n=120, num_ids=8, dim=16, seed=1)
    features = torch.cat([features, features[:5]])  # samples 120..124 duplicate 0..4
    dense, sparse = jaccard_distance_dense(features, k1=20, k2=6), jaccard_distance_sparse(features, k1=20, k2=6)
    for dist in (dense, sparse.to_dense()):
        assert torch.allclose(dist[torch.arange(5), torch.arange(120, 125)], torch.zeros(5), atol=1e-6)
    same = F.normalize(torch.ones(8, 4), dim=1)  # every sample identical, N <= k1
    assert torch.allclose(jaccard_distance_dense(same, k1=20, k2=6), torch.zeros(8, 8), atol=1e-6)
    assert torch.allclose(jaccard_distance_sparse(same, k1=20, k2=6).to_dense(), torch.zeros(8, 8), atol=1e-6)


def test_neighbourhood_sizes_follow_cluster_contrast() -> None:
    assert neighbourhood_sizes(n=1000, k1=30, k2=6) == (30, 16, 6)
    assert neighbourhood_sizes(n=1000, k1=5, k2=6) == (5, 3, 6)  # round(2.5) == 2 (half to even)
    assert neighbourhood_sizes(n=1000, k1=7, k2=6) == (7, 5, 6)  # round(3.5) == 4
    assert neighbourhood_sizes(n=10, k1=30, k2=20) == (10, 6, 10)
    with pytest.raises(ValueError, match="k1"):
        neighbourhood_sizes(n=10, k1=0, k2=6)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("k1", "k2"), [(30, 6), (20, 6), (13, 3), (10, 1), (4, 2)])
def test_sparse_equals_dense(make_clustered: MakeClustered, seed: int, k1: int, k2: int, scratch: str) -> None:
    features, _ = make_clustered(n=260, num_ids=15, dim=32, seed=seed, spread=0.5 + 0.2 * seed)
    dense = jaccard_distance_dense(features, k1=k1, k2=k2)
    sparse = jaccard_distance_sparse(features, k1=k1, k2=k2)
    assert isinstance(sparse, SparseDistances) and sparse.n == 260
    stored = torch.zeros(260, 260, dtype=torch.bool)
    stored[sparse.rows, sparse.cols] = True
    assert int(stored.sum()) == sparse.nnz  # no duplicate entries
    assert torch.equal(stored, stored.T) and bool(stored.diagonal().all())
    assert torch.allclose(sparse.values, dense[sparse.rows, sparse.cols], atol=1e-5, rtol=0)
    assert torch.all(dense[~stored] == 1.0)  # unstored pairs share no support
    assert torch.equal(sparse.to_dense(), sparse.to_dense().T)


@pytest.mark.parametrize("max_distance", [0.0, 0.4, 0.6, 0.9])
def test_sparse_with_max_distance_keeps_exactly_the_close_pairs(
    make_clustered: MakeClustered, max_distance: float
) -> None:
    features, _ = make_clustered(n=240, num_ids=12, dim=32, seed=3)
    dense = jaccard_distance_dense(features, k1=20, k2=6)
    sparse = jaccard_distance_sparse(features, k1=20, k2=6, max_distance=max_distance)
    assert sparse.max_distance == max_distance
    stored = torch.zeros(240, 240, dtype=torch.bool)
    stored[sparse.rows, sparse.cols] = True
    assert int(stored.sum()) == sparse.nnz
    assert torch.allclose(sparse.values, dense[sparse.rows, sparse.cols], atol=1e-5, rtol=0)
    assert bool((sparse.values <= max_distance).all())
    assert bool((dense[~stored] > max_distance - 1e-5).all())  # nothing closer was dropped
    with pytest.raises(ValueError, match="max_distance"):
        jaccard_distance_sparse(features, k1=20, k2=6, max_distance=1.5)


def test_sparse_clamps_neighbourhoods_to_tiny_inputs(make_clustered: MakeClustered) -> None:
    features, _ = make_clustered(n=12, num_ids=3, dim=8, seed=4)
    dense = jaccard_distance_dense(features, k1=30, k2=6)
    sparse = jaccard_distance_sparse(features, k1=30, k2=6)
    assert torch.allclose(sparse.to_dense(), dense, atol=1e-5, rtol=0)


def test_sparse_keeps_input_dtype_out_and_uses_float32(make_clustered: MakeClustered) -> None:
    features, _ = make_clustered(n=80, num_ids=5, dim=8, seed=5)
    sparse = jaccard_distance_sparse(features.double(), k1=10, k2=3)
    assert sparse.values.dtype == torch.float32 and sparse.rows.dtype == torch.int64
