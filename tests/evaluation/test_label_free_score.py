"""Label-free scores of a model's features: closed forms on hand-made features."""

from __future__ import annotations

import pytest
import torch

from unreid.evaluation.label_free_score import (
    SCORE_KEY,
    centroid_silhouette,
    cross_camera_mutual_nn,
    label_free_scores,
)


def _axes(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def test_each_person_found_again_in_the_other_camera_scores_one() -> None:
    features = _axes([1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 1, 0.01])  # two people, one crop per camera
    assert cross_camera_mutual_nn(features, torch.tensor([0, 1, 0, 1])) == 1.0


def test_features_that_separate_cameras_score_lower() -> None:
    # camera 0 near one axis, camera 1 near another: every cross-camera nearest neighbour is the same crop
    features = _axes([1, 0.1, 0], [1, 0.2, 0], [0, 1, 0.1], [0, 1, 0.2])
    cameras = torch.tensor([0, 0, 1, 1])
    # crop 0 and 1 both pick crop 3 (most similar), crop 2 and 3 both pick crop 1: one mutual pair (1, 3)
    assert cross_camera_mutual_nn(features, cameras) == 0.5


def test_one_camera_has_no_cross_camera_score() -> None:
    assert cross_camera_mutual_nn(torch.eye(3), torch.zeros(3, dtype=torch.long)) is None


def test_silhouette_closed_form_and_outliers_count_zero() -> None:
    features = _axes([1, 0], [1, 0], [0, 1], [0, 1])
    labels = torch.tensor([0, 0, 1, 1])
    assert centroid_silhouette(features, labels) == pytest.approx(1.0)  # a = 0, b = 1
    with_outlier = torch.tensor([0, 0, 1, -1])
    # three members at silhouette 1 out of four images
    assert centroid_silhouette(features, with_outlier) == pytest.approx(0.75)
    assert centroid_silhouette(features, torch.zeros(4, dtype=torch.long)) == 0.0  # one cluster: no b


def _people(cameras_per_person: int, *, people: int = 20, crops: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(people, 16, generator=generator), dim=1)  # [P, D]
    features = centres.repeat_interleave(crops, 0) + 0.03 * torch.randn(people * crops, 16, generator=generator)
    cameras = (torch.arange(people * crops) % crops) % cameras_per_person  # [P * crops]
    return features, cameras


def test_the_kept_score_counts_people_found_across_cameras() -> None:
    features, cameras = _people(2)
    scores = label_free_scores(features, cameras)
    # 20 people, each with crops in two cameras, all found: 20 cross-camera clusters of 80 images
    assert scores["lf_cross_camera_clusters"] == pytest.approx(20 / 80)
    assert scores[SCORE_KEY] == scores["lf_cross_camera_clusters"]
    assert scores["lf_silhouette"] > 0.5
    # the same people, but the features of camera 1 pushed elsewhere: fewer people are found across cameras
    shifted = features.clone()
    shifted[cameras == 1] += 2.0 * torch.nn.functional.normalize(torch.ones(16), dim=0)
    assert label_free_scores(shifted, cameras)[SCORE_KEY] < scores[SCORE_KEY]


def test_without_cameras_the_kept_score_is_the_silhouette() -> None:
    features, _ = _people(1)
    scores = label_free_scores(features, torch.zeros(80, dtype=torch.long))
    assert "lf_cross_camera_clusters" not in scores and scores[SCORE_KEY] == scores["lf_silhouette"] > 0.5
