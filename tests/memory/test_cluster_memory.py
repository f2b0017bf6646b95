"""Cluster memory: initial centroids, momentum updates, instance extremes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.memory.cluster_memory import ClusterMemory, cluster_centroids, occurrence_rank


def test_centroids_are_normalised_means_ignoring_outliers() -> None:
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [5.0, 5.0]])
    labels = torch.tensor([0, 0, 1, -1])
    cents = cluster_centroids(feats, labels, 2)
    assert torch.allclose(cents, torch.tensor([[2**-0.5, 2**-0.5], [0.0, -1.0]]), atol=1e-6)


def test_occurrence_rank() -> None:
    assert occurrence_rank(torch.tensor([3, 1, 3, 3, 1, 0])).tolist() == [0, 0, 1, 2, 1, 0]


def test_update_centroids_matches_sequential_rule() -> None:
    torch.manual_seed(0)
    feats = F.normalize(torch.randn(10, 4), dim=1)
    labels = torch.arange(10) % 3
    memory = ClusterMemory(features=feats, labels=labels, num_clusters=3, momentum=0.3)
    expected = memory.centroids.clone()
    batch = F.normalize(torch.randn(7, 4), dim=1)
    targets = torch.tensor([2, 0, 2, 2, 1, 0, 2])
    for x, y in zip(batch, targets):  # one sample at a time, in order
        expected[y] = F.normalize(0.3 * expected[y] + 0.7 * x, dim=0)
    memory.update_centroids(batch, targets)
    assert torch.allclose(memory.centroids, expected, atol=1e-6)


def test_update_instances_skips_generated_images() -> None:
    feats = F.normalize(torch.randn(5, 3), dim=1)
    memory = ClusterMemory(features=feats, labels=torch.tensor([0, 0, 1, 1, -1]), num_clusters=2, instance_momentum=0.0)
    new = F.normalize(torch.randn(2, 3), dim=1)
    memory.update_instances(new, torch.tensor([1, -1]))
    assert torch.allclose(memory.instances[1], new[0])
    assert torch.allclose(memory.instances[[0, 2, 3, 4]], feats[[0, 2, 3, 4]])


def test_instance_extremes_ignore_outliers() -> None:
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.6, 0.8]])
    memory = ClusterMemory(features=feats, labels=torch.tensor([0, 0, 1, -1]), num_clusters=2)
    farthest, hardest = memory.instance_extremes(torch.tensor([[0.8, 0.6]]), torch.tensor([0]))
    assert farthest.item() == pytest.approx(0.6)  # [0, 1] is the farthest member of cluster 0
    assert hardest[0].tolist() == pytest.approx([0.8, -0.8])  # the outlier [0.6, 0.8] never counts


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match="rows"):
        ClusterMemory(features=torch.randn(3, 2), labels=torch.tensor([0, 1]), num_clusters=2)


def test_boundary_members_are_farthest_from_own_centroid() -> None:
    # cluster 0: three points around (1, 0); cluster 1: three around (0, 1); one outlier
    feats = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.6, 0.8], [0.0, 1.0], [0.1, 1.0], [0.7, 0.7], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 0, 1, 1, 1, -1])
    memory = ClusterMemory(features=feats, labels=labels, num_clusters=2)
    to_own = (memory.instances * memory.centroids[labels.clamp(min=0)]).sum(1)
    expected = [int(torch.argmin(torch.where(labels == c, to_own, 9.0))) for c in range(2)]
    assert memory.boundary_members().tolist() == expected == [2, 5]
    queries = F.normalize(torch.tensor([[1.0, 1.0]]), dim=1)
    assert torch.allclose(memory.boundary_similarities(queries), queries @ memory.instances[[2, 5]].t())


def test_positive_mask_restricts_farthest_and_falls_back_to_centroid() -> None:
    feats = F.normalize(torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [0.1, 1.0]]), dim=1)
    labels = torch.tensor([0, 0, 1, 1])
    memory = ClusterMemory(features=feats, labels=labels, num_clusters=2)
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1])
    free, _ = memory.instance_extremes(q, y)
    assert torch.allclose(free, torch.stack([q[0] @ memory.instances[1], q[1] @ memory.instances[3]]))
    mask = torch.tensor([True, False, False, False])  # cluster 1 has no allowed member
    restricted, _ = memory.instance_extremes(q, y, positive_mask=mask)
    assert torch.allclose(restricted, torch.stack([q[0] @ memory.instances[0], q[1] @ memory.centroids[1]]))


@pytest.mark.parametrize("seed", [0, 1])
def test_sync_free_centroid_update_equals_simple_path(seed: int) -> None:
    torch.manual_seed(seed)
    feats = F.normalize(torch.randn(50, 12), dim=1)
    labels = torch.arange(50) % 7
    simple = ClusterMemory(features=feats, labels=labels, num_clusters=7)
    fast = ClusterMemory(features=feats, labels=labels, num_clusters=7)
    batch = F.normalize(torch.randn(20, 12), dim=1)
    batch_labels = torch.tensor([0, 0, 0, 0, 3, 3, 3, 3, 5, 5, 5, 5, 1, 1, 1, 1, 3, 0, 6, 6])  # up to 6 occurrences
    simple.update_centroids(batch, batch_labels)
    fast.update_centroids(batch, batch_labels, max_occurrences=6)
    assert torch.allclose(fast.centroids, simple.centroids, atol=1e-6)
    fast.update_centroids(batch, batch_labels, max_occurrences=8)  # a loose bound changes nothing more
    simple.update_centroids(batch, batch_labels)
    assert torch.allclose(fast.centroids, simple.centroids, atol=1e-6)
