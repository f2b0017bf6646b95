"""DBSCAN: recovers blobs, marks outliers, and reproduces scikit-learn's labels exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import DBSCAN

from unreid.clustering.dbscan import dbscan, min_index_components
from unreid.clustering.sparse_distances import SparseDistances


def sparse_from_dense(dist: torch.Tensor) -> SparseDistances:
    rows, cols = (dist < 1.0).nonzero().unbind(1)
    return SparseDistances(rows=rows, cols=cols, values=dist[rows, cols], n=dist.shape[0])


def sklearn_labels(dist: torch.Tensor, *, eps: float, min_samples: int) -> np.ndarray:
    # float32 in, as dbscan gets it: NumPy 2 then compares with eps in float32, like torch does.
    return DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit(dist.float().numpy()).labels_


def shared_border_points(dist: torch.Tensor, labels: torch.Tensor, *, eps: float, min_samples: int) -> int:
    """Non-core points adjacent to core points of two or more clusters."""
    adjacency = dist <= eps
    core = adjacency.sum(1) >= min_samples
    count = 0
    for i in (~core).nonzero().squeeze(1).tolist():
        clusters = set(labels[adjacency[i] & core].tolist())
        count += len(clusters) > 1
    return count


def test_blobs_and_far_outliers() -> None:
    generator = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = torch.cat([c + 0.3 * torch.randn(40, 2, generator=generator) for c in centres])  # [120, 2]
    outliers = torch.tensor([[50.0, 50.0], [-40.0, 5.0], [5.0, -60.0]])
    dist = torch.cdist(torch.cat([points, outliers]), torch.cat([points, outliers])) / 100.0  # all < 1
    labels = dbscan(dist, eps=0.02, min_samples=4)
    assert torch.equal(labels[:40], torch.zeros(40, dtype=torch.long))
    assert torch.equal(labels[40:80], torch.ones(40, dtype=torch.long))
    assert torch.equal(labels[80:120], torch.full((40,), 2))
    assert torch.equal(labels[120:], torch.full((3,), -1))
    assert torch.equal(dbscan(sparse_from_dense(dist), eps=0.02, min_samples=4), labels)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("eps", "min_samples"), [(0.06, 3), (0.08, 4), (0.1, 6), (0.13, 10), (0.05, 1)])
def test_labels_equal_sklearn(seed: int, eps: float, min_samples: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    points = torch.rand(220, 2, generator=generator, dtype=torch.float64)
    dist = torch.cdist(points, points).float()  # [220, 220] symmetric, zero diagonal
    expected = sklearn_labels(dist, eps=eps, min_samples=min_samples)
    labels = dbscan(dist, eps=eps, min_samples=min_samples)
    assert labels.tolist() == expected.tolist()  # identical ids, not just the same partition
    assert torch.equal(dbscan(sparse_from_dense(dist), eps=eps, min_samples=min_samples), labels)


def test_random_data_exercises_shared_border_points() -> None:
    total = 0
    for seed in range(4):
        generator = torch.Generator().manual_seed(seed)
        points = torch.rand(220, 2, generator=generator, dtype=torch.float64)
        dist = torch.cdist(points, points).float()
        labels = dbscan(dist, eps=0.08, min_samples=4)
        total += shared_border_points(dist, labels, eps=0.08, min_samples=4)
    assert total > 0


def test_shared_border_point_goes_to_the_first_started_cluster() -> None:
    # Points on a line, 4 units = 0.04 apart at most within eps. Cluster A (positions 9..12,
    # indices 8, 1, 6, 7) starts at index 1; cluster B (positions 1..-2, indices 3, 2, 4, 5)
    # at index 2. Index 0 (position 5) is a border point of both: its core neighbours are
    # index 8 (A) and index 3 (B). sklearn gives it A, the cluster started first, even
    # though its lowest-index core neighbour is in B.
    positions = torch.tensor([5.0, 10.0, 0.0, 1.0, -1.0, -2.0, 11.0, 12.0, 9.0, 30.0], dtype=torch.float64)
    dist = (positions[:, None] - positions[None, :]).abs().float() / 100.0
    labels = dbscan(dist, eps=0.045, min_samples=4)
    assert labels.tolist() == [0, 0, 1, 1, 1, 1, 0, 0, 0, -1]
    assert labels.tolist() == sklearn_labels(dist, eps=0.045, min_samples=4).tolist()


def test_distance_equal_to_eps_is_a_neighbour() -> None:
    positions = torch.tensor([0, 2, 4, 6, 20, 22, 40])
    dist = (positions[:, None] - positions[None, :]).abs().float() * 0.05  # steps of exactly 0.1 (float32)
    labels = dbscan(dist, eps=0.1, min_samples=2)
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, -1]
    assert labels.tolist() == sklearn_labels(dist, eps=0.1, min_samples=2).tolist()


def test_jaccard_like_sparse_input_matches_sklearn() -> None:
    generator = torch.Generator().manual_seed(7)
    points = torch.rand(200, 3, generator=generator)
    dist = (torch.cdist(points, points) * 2.0).clamp(max=1.0)  # many pairs at exactly 1 -> not stored
    sparse = sparse_from_dense(dist)
    for eps, min_samples in [(0.2, 4), (0.3, 8), (0.15, 2)]:
        expected = sklearn_labels(dist, eps=eps, min_samples=min_samples)
        assert dbscan(sparse, eps=eps, min_samples=min_samples).tolist() == expected.tolist()


def test_components_match_scipy() -> None:
    generator = torch.Generator().manual_seed(3)
    for edges in (0, 30, 120, 400):
        source = torch.randint(0, 300, (edges,), generator=generator)
        target = torch.randint(0, 300, (edges,), generator=generator)
        roots = min_index_components(torch.cat([source, target]), torch.cat([target, source]), n=300)
        graph = coo_matrix((np.ones(edges), (source.numpy(), target.numpy())), shape=(300, 300))
        _, reference = connected_components(graph, directed=False)
        for component in np.unique(reference):
            members = np.flatnonzero(reference == component)
            assert set(roots[members].tolist()) == {int(members.min())}


def test_invalid_arguments() -> None:
    dist = torch.zeros(4, 4)
    with pytest.raises(ValueError, match="eps"):
        dbscan(sparse_from_dense(dist), eps=1.0)
    truncated = SparseDistances(
        rows=torch.arange(4), cols=torch.arange(4), values=torch.zeros(4), n=4, max_distance=0.3
    )
    with pytest.raises(ValueError, match="max_distance"):
        dbscan(truncated, eps=0.5)
    with pytest.raises(ValueError, match="min_samples"):
        dbscan(dist, min_samples=0)
    with pytest.raises(ValueError, match="square"):
        dbscan(torch.zeros(3, 4))
    asymmetric = torch.ones(3, 3)
    asymmetric.fill_diagonal_(0.0)
    asymmetric[0, 1] = 0.1
    with pytest.raises(ValueError, match="symmetric"):
        dbscan(asymmetric, eps=0.5)


def test_core_flags_count_neighbours_within_eps() -> None:
    from unreid.clustering.dbscan import dbscan_with_core

    d = torch.tensor([[0.0, 0.2, 0.9, 0.3], [0.2, 0.0, 0.9, 0.9], [0.9, 0.9, 0.0, 0.9], [0.3, 0.9, 0.9, 0.0]])
    labels, core = dbscan_with_core(d, eps=0.3, min_samples=3)
    # neighbours (self included): 0 -> {0, 1, 3}; 1 -> {0, 1}; 2 -> {2}; 3 -> {0, 3}
    assert core.tolist() == [True, False, False, False]
    assert labels.tolist() == [0, 0, -1, 0]
