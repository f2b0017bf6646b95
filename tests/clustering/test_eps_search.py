"""cluster.eps_policy=cross_camera: the radius with the most clusters spanning cameras (closed forms)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from unreid.clustering import ClusteringSettings, cluster_features
from unreid.clustering.eps_search import cross_camera_clusters, largest_radius, search_eps
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse


def test_cross_camera_clusters_counts_clusters_with_two_or_more_cameras() -> None:
    labels = torch.tensor([0, 0, 1, 1, 2, -1, -1])
    cameras = torch.tensor([0, 1, 0, 0, 2, 1, 0])
    assert cross_camera_clusters(labels, cameras) == 1  # cluster 0 spans cameras 0 and 1; 1 is one camera; 2 alone
    assert cross_camera_clusters(torch.full((3,), -1), torch.tensor([0, 1, 2])) == 0


def _line(points: list[float]) -> torch.Tensor:
    """Dense distances of points on a line: |a - b|."""
    x = torch.tensor(points)
    return (x[:, None] - x[None, :]).abs()  # [N, N]


def test_search_picks_the_radius_that_joins_people_across_cameras_but_not_people_together() -> None:
    # two people, each seen by camera 0 twice (0.05 apart) and by camera 1 (0.2 away); people 0.5 apart
    distances = _line([0.0, 0.05, 0.25, 0.75, 0.8, 1.0])
    cameras = torch.tensor([0, 0, 1, 0, 0, 1])
    eps, labels, _ = search_eps(distances, cameras=cameras, min_samples=2, grid=(0.1, 0.2, 0.3, 0.4, 0.6))
    # 0.1: two same-camera pairs (0 across cameras); 0.2 and 0.3: both people whole (2); 0.6: one chain (1)
    assert eps == 0.15 or eps == 0.2  # ties go to the smaller radius; the midpoint 0.15 is tried next to 0.2
    assert labels.tolist() == [0, 0, 0, 1, 1, 1] if eps == 0.2 else True
    assert cross_camera_clusters(labels, cameras) == 2


def test_without_cameras_the_search_counts_clusters() -> None:
    distances = _line([0.0, 0.05, 0.5, 0.55, 1.0, 1.05])
    eps, labels, _ = search_eps(distances, cameras=None, min_samples=2, grid=(0.1, 0.5, 0.9))
    assert eps == 0.1 and int(labels.max()) + 1 == 3
    one_camera = torch.zeros(6, dtype=torch.long)
    assert search_eps(distances, cameras=one_camera, min_samples=2, grid=(0.1, 0.5, 0.9))[0] == 0.1


def test_cluster_features_uses_the_searched_radius() -> None:
    generator = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(30, 16, generator=generator), dim=1)  # [30, D]
    noise = 0.05 * torch.randn(120, 16, generator=generator)
    features = centres.repeat_interleave(4, 0) + noise  # [120, D]: 4 crops a person
    cameras = torch.arange(120) % 2
    result = cluster_features(features, ClusteringSettings(k1=5, k2=2, min_samples=2, eps=0.01, eps_search=True),
                              cameras=cameras)
    assert result.eps != 0.01 and result.num_clusters == 30 and result.num_outliers == 0


def test_the_search_needs_no_pair_beyond_its_largest_radius(make_clustered: Callable[..., tuple[Tensor, Tensor]]) -> None:
    grid = (0.2, 0.4, 0.6, 0.8)
    assert largest_radius(grid) == pytest.approx(0.9) and largest_radius() == pytest.approx(0.925)
    features, _ = make_clustered(n=200, num_ids=25, dim=16, seed=3, spread=0.9)
    cameras = torch.arange(200) % 3
    exact = jaccard_distance_sparse(features, k1=8, k2=3)
    cut = jaccard_distance_sparse(features, k1=8, k2=3, max_distance=largest_radius(grid))
    assert cut.nnz < exact.nnz  # fewer pairs stored ...
    eps_exact, labels_exact, core_exact = search_eps(exact, cameras=cameras, min_samples=2, grid=grid)
    eps_cut, labels_cut, core_cut = search_eps(cut, cameras=cameras, min_samples=2, grid=grid)
    assert eps_cut == eps_exact and torch.equal(labels_cut, labels_exact) and torch.equal(core_cut, core_exact)
