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


def test_the_kept_score_is_the_cross_camera_one_when_there_are_cameras() -> None:
    features = _axes([1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 1, 0.01])
    labels = torch.tensor([0, 0, 1, 1])
    scores = label_free_scores(features, torch.tensor([0, 1, 0, 1]), labels)
    assert scores[SCORE_KEY] == scores["lf_cross_camera_mnn"] == 1.0
    no_cameras = label_free_scores(features, torch.zeros(4, dtype=torch.long), labels)
    assert SCORE_KEY in no_cameras and no_cameras[SCORE_KEY] == no_cameras["lf_silhouette"]
    assert label_free_scores(features, torch.zeros(4, dtype=torch.long)) == {}
