"""Per-cluster K-instance memory (HHCL): hand-computed extremes, ring-buffer overwrites, the default untouched."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.config.schema import LossConfig
from unreid.memory.cluster_memory import ClusterMemory
from unreid.memory.per_cluster_instances import PerClusterInstanceMemory, first_members
from unreid.memory.registry import build_memory


def _unit(degrees: list[float]) -> torch.Tensor:
    rad = torch.tensor(degrees) * torch.pi / 180
    return torch.stack([rad.cos(), rad.sin()], dim=1)  # [n, 2]


def test_slots_start_as_the_first_members_repeated_cyclically() -> None:
    labels = torch.tensor([1, 0, 1, -1, 0, 1, 2])
    assert first_members(labels, 4, 3).tolist() == [[1, 4, 1], [0, 2, 5], [6, 6, 6], [-1, -1, -1]]


def test_extremes_are_the_least_similar_own_and_most_similar_other_slot() -> None:
    # cluster 0 at 0, 20, 40 degrees; cluster 1 at 90, 120, 150; the query sits at 10 degrees
    feats = _unit([0, 20, 40, 90, 120, 150])
    memory = PerClusterInstanceMemory(features=feats, labels=torch.tensor([0, 0, 0, 1, 1, 1]), num_clusters=2,
                                      instances_per_cluster=3)
    query = _unit([10])
    farthest, hardest = memory.instance_extremes(query, torch.tensor([0]))
    cos = torch.cos(torch.tensor([30.0, 80.0]) * torch.pi / 180)  # to 40 degrees (own, farthest); to 90 (other, closest)
    assert farthest.item() == pytest.approx(cos[0].item(), abs=1e-6)
    assert hardest[0, 1].item() == pytest.approx(cos[1].item(), abs=1e-6)
    # core mask: only 0 and 20 degrees may be positives -> the farthest allowed is 20 degrees (cos 10)
    mask = torch.tensor([True, True, False, True, True, True])
    farthest, _ = memory.instance_extremes(query, torch.tensor([0]), positive_mask=mask)
    assert farthest.item() == pytest.approx(torch.cos(torch.tensor(10.0) * torch.pi / 180).item(), abs=1e-6)


def test_ring_buffer_overwrites_in_order_without_momentum() -> None:
    feats = F.normalize(torch.randn(4, 3), dim=1)
    memory = PerClusterInstanceMemory(features=feats, labels=torch.tensor([0, 0, 1, 1]), num_clusters=2,
                                      instances_per_cluster=3, instance_momentum=0.9)
    written: list[torch.Tensor] = []
    for _ in range(5):  # 5 updates of one feature of image 1 (cluster 0), one at a time
        new = F.normalize(torch.randn(1, 3), dim=1)
        written.append(new[0])
        memory.update_instances(new, torch.tensor([1]))
    # after n = 5 writes into K = 3 slots: slot j holds write number j + 3 * floor((5 - 1 - j) / 3)
    assert torch.allclose(memory.slots[0], torch.stack([written[3], written[4], written[2]]))
    assert memory.cursor.tolist() == [5 % 3, 0]
    assert torch.allclose(memory.slots[1], feats[[2, 3, 2]])  # the other cluster is untouched
    batch = F.normalize(torch.randn(4, 3), dim=1)
    memory.update_instances(batch, torch.tensor([2, 3, -1, 2]))  # cluster 1 gets 3 real writes; -1 is skipped
    assert torch.allclose(memory.slots[1], batch[[0, 1, 3]])
    # a batch with more than K members of a cluster keeps its last K, as one-at-a-time writes would
    big = F.normalize(torch.randn(5, 3), dim=1)
    memory.update_instances(big, torch.tensor([0, 1, 0, 1, 0]))  # 5 writes from cursor 2: slots 2, 0, 1, 2, 0
    assert torch.allclose(memory.slots[0], big[[4, 2, 3]])
    assert memory.slot_owner[0].tolist() == [0, 0, 1] and memory.cursor[0].item() == (2 + 5) % 3


def test_boundary_is_the_slot_farthest_from_its_centroid() -> None:
    feats = _unit([0, 10, 50, 90, 100, 170])
    memory = PerClusterInstanceMemory(features=feats, labels=torch.tensor([0, 0, 0, 1, 1, 1]), num_clusters=2,
                                      instances_per_cluster=2)  # slots hold the first two members only
    # centroids near 20 and 120 degrees; 50 and 170 (the true boundaries) are not in the slots
    assert memory.boundary_members().tolist() == [0, 3]
    sims = memory.boundary_similarities(_unit([10]))
    assert torch.allclose(sims, torch.cos(torch.tensor([[10.0, 80.0]]) * torch.pi / 180), atol=1e-6)


def test_default_kind_is_the_plain_cluster_memory() -> None:
    feats = F.normalize(torch.randn(6, 4), dim=1)
    labels = torch.tensor([0, 0, 1, 1, 2, -1])
    plain = build_memory(LossConfig().instance_memory, features=feats, labels=labels, num_clusters=3,
                         options=LossConfig())
    assert type(plain) is ClusterMemory
    ring = build_memory("per_cluster", features=feats, labels=labels, num_clusters=3,
                        options=LossConfig(instances_per_cluster=4))
    assert isinstance(ring, PerClusterInstanceMemory) and ring.slots.shape == (3, 4, 4)
    with pytest.raises(ValueError, match="per_cluster"):
        build_memory("nope", features=feats, labels=labels, num_clusters=3, options=LossConfig())
