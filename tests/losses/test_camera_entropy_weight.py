"""Camera-entropy cluster weights: exp(entropy) by hand, and the weighted loss against its closed form."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from unreid.losses.camera_entropy_weight import camera_entropy_weights, cluster_camera_entropy, query_weights
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory


def test_two_cameras_in_equal_shares_weigh_two_and_one_camera_weighs_one() -> None:
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 2, 2, -1])
    cameras = torch.tensor([0, 0, 1, 1, 2, 2, 2, 0, -1, 3])  # cluster 2: one known camera; the outlier is ignored
    weights = camera_entropy_weights(cluster_camera_entropy(labels, cameras, 4))
    assert weights.tolist() == pytest.approx([2.0, 1.0, 1.0, 1.0])  # cluster 3 has no member: H = 0
    h = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))  # cameras [0, 1, 1, 1]
    assert cluster_camera_entropy(torch.zeros(4, dtype=torch.long), torch.tensor([0, 1, 1, 1]), 1).item() == \
        pytest.approx(h)
    w = query_weights(cluster_camera_entropy(labels, cameras, 4), torch.tensor([0, 1, 1]))
    assert w.tolist() == pytest.approx([2 / (4 / 3), 1 / (4 / 3), 1 / (4 / 3)]) and w.mean().item() == pytest.approx(1)


def test_weighted_loss_is_the_weighted_mean_of_the_per_query_terms() -> None:
    torch.manual_seed(0)
    feats = F.normalize(torch.randn(8, 5), dim=1)
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    cameras = torch.tensor([0, 0, 1, 1, 2, 2, 2, 2])  # cluster 0: weight 2, cluster 1: weight 1
    memory = ClusterMemory(features=feats, labels=labels, num_clusters=2, cameras=cameras)
    q, y = F.normalize(torch.randn(3, 5), dim=1), torch.tensor([0, 1, 1])
    plain = MultiLevelContrastiveLoss(weights={"centroid": 1.0})
    weighted = MultiLevelContrastiveLoss(weights={"centroid": 1.0}, camera_entropy_weight=True)
    per_query = F.cross_entropy(memory.centroid_similarities(q) / 0.05, y, reduction="none")  # [3]
    expected = (torch.tensor([2.0, 1.0, 1.0]) / (4 / 3) * per_query).mean()
    assert weighted(q, y, memory).total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert plain(q, y, memory).total.item() == pytest.approx(per_query.mean().item(), rel=1e-6)
    full = MultiLevelContrastiveLoss(camera_entropy_weight=True)(q, y, memory)  # every level takes the weights
    assert set(full.levels) == {"centroid", "intra", "inter"} and torch.isfinite(full.total)
