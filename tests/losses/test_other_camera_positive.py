"""positive_pool=other_camera: the farthest positive is the farthest member seen by another camera (closed forms)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss, other_camera_mask
from unreid.memory.cluster_memory import ClusterMemory
from unreid.memory.per_cluster_instances import PerClusterInstanceMemory


def _unit(degrees: list[float]) -> torch.Tensor:
    rad = torch.tensor(degrees) * torch.pi / 180
    return torch.stack([rad.cos(), rad.sin()], dim=1)  # [n, 2]


# cluster 0: 0 and 60 degrees by camera 0, 30 and 20 by camera 1; cluster 1: 180 and 200 by camera 2; cluster 2:
# one image, camera 0
FEATS = _unit([0, 60, 30, 20, 180, 200, 270])
LABELS = torch.tensor([0, 0, 0, 0, 1, 1, 2])
CAMERAS = torch.tensor([0, 0, 1, 1, 2, 2, 0])


def test_mask_keeps_other_cameras_and_everything_for_unknown_queries() -> None:
    mask = other_camera_mask(CAMERAS, torch.tensor([0, -1]))
    assert mask[0].tolist() == [False, False, True, True, True, True, False] and bool(mask[1].all())


@pytest.mark.parametrize("per_cluster", [False, True])
def test_intra_loss_uses_the_farthest_other_camera_member(per_cluster: bool) -> None:
    kwargs = dict(features=FEATS, labels=LABELS, num_clusters=3, cameras=CAMERAS)
    memory = PerClusterInstanceMemory(instances_per_cluster=4, **kwargs) if per_cluster else ClusterMemory(**kwargs)
    query, owner = FEATS[:1], torch.tensor([0])  # image 0 itself (camera 0) at 0 degrees
    loss = MultiLevelContrastiveLoss(weights={"intra": 1.0}, positive_pool="other_camera")
    got = loss(query, torch.tensor([0]), memory, batch_instances=owner).total
    logits = memory.centroid_similarities(query)[0].clone()  # [3]
    logits[0] = math.cos(math.radians(30))  # not 60 degrees (same camera): 30 is the farthest by camera 1
    assert got.item() == pytest.approx(F.cross_entropy(logits.unsqueeze(0) / 0.05, torch.tensor([0])).item(), rel=1e-5)
    # a cluster seen by one camera only: the positive falls back to the own centroid
    farthest, _ = memory.instance_extremes(FEATS[6:], torch.tensor([2]),
                                           positive_mask=other_camera_mask(CAMERAS, torch.tensor([6])))
    assert farthest.item() == pytest.approx(float(FEATS[6] @ memory.centroids[2]), abs=1e-6)
