"""Per-camera centring removes a camera offset, so clustering groups people, not cameras."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.label_quality import label_quality
from unreid.clustering.pseudo_labels import ClusteringSettings, cluster_features


def test_closed_form_two_cameras() -> None:
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    cams = torch.tensor([5, 5, 9, 9])
    out = center_per_camera(feats, cams)
    mean5, mean9 = torch.tensor([0.5, 0.5]), torch.tensor([0.8, 0.4])
    expected = F.normalize(torch.stack([feats[0] - mean5, feats[1] - mean5, feats[2] - mean9, feats[3] - mean9]), dim=1)
    assert torch.allclose(out, expected, atol=1e-6)


def test_removes_camera_offsets_that_fool_clustering() -> None:
    gen = torch.Generator().manual_seed(0)
    people = torch.randn(20, 64, generator=gen)  # 20 identities
    cam_offset = 3.0 * torch.randn(4, 64, generator=gen)  # 4 cameras, strong style
    ids = torch.arange(20).repeat_interleave(8)  # each person in every camera, twice
    cams = torch.arange(4).repeat(2).repeat(20)
    feats = people[ids] + cam_offset[cams] + 0.3 * torch.randn(160, 64, generator=gen)
    settings = ClusteringSettings(k1=10, k2=3, eps=0.5, min_samples=3)
    plain = cluster_features(feats, settings)
    centred = cluster_features(center_per_camera(feats, cams), settings)
    assert label_quality(centred.labels, ids)["f_score"] > 0.9 > label_quality(plain.labels, ids)["f_score"] + 0.3
