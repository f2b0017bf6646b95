"""Infomap pseudo-labels: the kNN links in closed form, modules of hand-made graphs, the effect of each
setting, recovery of separated groups, and the same labels on every call."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering import label_quality
from unreid.clustering.infomap_clustering import cluster_features_infomap, infomap_labels, similarity_graph


def _blobs(groups: int = 3, per_group: int = 10, dim: int = 16, spread: float = 0.05) -> tuple[torch.Tensor, list[int]]:
    generator = torch.Generator().manual_seed(0)
    centres = F.normalize(torch.randn(groups, dim, generator=generator), dim=1)  # [G, D]
    features = centres.repeat_interleave(per_group, 0) + spread * torch.randn(groups * per_group, dim, generator=generator)
    return F.normalize(features, dim=1), [g for g in range(groups) for _ in range(per_group)]  # [G*P, D]


def test_links_are_the_nearest_neighbours_above_the_similarity_floor() -> None:
    angles = torch.tensor([0.0, 0.3, 1.2, 3.0])  # on the unit circle: cos of the differences are the similarities
    features = torch.stack([angles.cos(), angles.sin()], dim=1)  # [4, 2]
    sources, targets, weights = similarity_graph(features, k=1, min_similarity=0.5)
    # nearest other point: 0->1 (cos 0.3), 1->0, 2->1 (cos 0.9), 3->2 (cos 1.8 < 0.5: dropped)
    assert sources.tolist() == [0, 1, 2] and targets.tolist() == [1, 0, 1]
    assert torch.allclose(weights, torch.tensor([0.3, 0.3, 0.9]).cos())
    sources, _, _ = similarity_graph(features, k=1, min_similarity=0.0)
    assert sources.tolist() == [0, 1, 2]  # cos(1.8) < 0 stays out even at 0
    assert similarity_graph(features, k=3, min_similarity=0.0)[0].numel() == 3 * 2  # 0-2 link to each other; 3 to none


def test_modules_of_two_triangles_and_a_loose_node() -> None:
    sources, targets = torch.tensor([0, 1, 2, 3, 4, 5]), torch.tensor([1, 2, 0, 4, 5, 3])
    labels = infomap_labels(7, sources, targets, torch.ones(6))
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, -1]  # numbered by smallest node; node 6 has no link
    weak_bridge = infomap_labels(7, torch.cat([sources, torch.tensor([2])]), torch.cat([targets, torch.tensor([3])]),
                                 torch.tensor([1.0] * 6 + [0.01]))
    assert weak_bridge.tolist() == labels.tolist()


def test_modules_below_min_size_are_outliers() -> None:
    sources, targets = torch.tensor([0, 1, 2, 3]), torch.tensor([1, 2, 0, 4])  # a triangle and a pair
    assert infomap_labels(5, sources, targets, torch.ones(4), min_size=2).tolist() == [0, 0, 0, 1, 1]
    assert infomap_labels(5, sources, targets, torch.ones(4), min_size=3).tolist() == [0, 0, 0, -1, -1]


def test_separated_groups_are_recovered_the_same_way_every_time() -> None:
    features, truth = _blobs()
    first = cluster_features_infomap(features, k=5, min_similarity=0.5)
    assert first.num_clusters == 3 and first.num_outliers == 0
    quality = label_quality(first.labels, truth)
    assert quality["precision"] == 1.0 and quality["recall"] == 1.0
    assert first.core is not None and bool(first.core.all())
    assert torch.equal(cluster_features_infomap(features, k=5, min_similarity=0.5).labels, first.labels)
    assert set(first.timings) == {"knn", "infomap"}


def test_a_similarity_floor_above_every_pair_leaves_only_outliers() -> None:
    features, _ = _blobs()
    result = cluster_features_infomap(features, k=5, min_similarity=1.0)
    assert result.num_clusters == 0 and result.num_outliers == features.shape[0]
    with pytest.raises(ValueError, match="min_similarity"):
        similarity_graph(features, k=5, min_similarity=1.5)


def test_modules_are_read_safely_with_faiss_loaded() -> None:
    import faiss  # noqa: F401  (a SWIG module: infomap's SWIG iterators crashed once it was loaded)

    sources, targets = torch.tensor([0, 1, 2, 3, 4, 5]), torch.tensor([1, 2, 0, 4, 5, 3])
    assert infomap_labels(6, sources, targets, torch.ones(6)).tolist() == [0, 0, 0, 1, 1, 1]
