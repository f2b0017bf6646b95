"""Pairwise precision/recall/F, NMI and ARI of pseudo-labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unreid.clustering.label_quality import label_quality


def test_hand_computed_example() -> None:
    quality = label_quality([0, 0, 0, 1], [0, 0, 1, 1])
    # predicted pairs: (0,1) (0,2) (1,2); true pairs: (0,1) (2,3); shared: (0,1)
    assert quality["precision"] == pytest.approx(1 / 3)
    assert quality["recall"] == pytest.approx(1 / 2)
    assert quality["f_score"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_perfect_labels_up_to_renaming() -> None:
    quality = label_quality(torch.tensor([5, 5, 2, 2, 9]), torch.tensor([0, 0, 1, 1, 2]))
    assert quality == pytest.approx({"precision": 1.0, "recall": 1.0, "f_score": 1.0, "nmi": 1.0, "ari": 1.0})


def test_outliers_are_singletons() -> None:
    quality = label_quality([-1, -1, 0, 0, 1, -1], [0, 0, 1, 1, 2, 2])
    # predicted pairs: only (2,3), which is correct; true pairs: (0,1) (2,3) (4,5)
    assert quality["precision"] == pytest.approx(1.0)
    assert quality["recall"] == pytest.approx(1 / 3)


def test_no_pairs_gives_zero() -> None:
    quality = label_quality([-1, -1, -1], [0, 0, 1])
    assert quality["precision"] == 0.0
    assert quality["recall"] == 0.0
    assert quality["f_score"] == 0.0


def test_length_mismatch() -> None:
    with pytest.raises(ValueError, match="labels"):
        label_quality([0, 1], [0, 1, 2])


def test_false_merge_camera_share_hand_computed() -> None:
    from unreid.clustering.label_quality import false_merge_camera_share

    # one cluster of four: ids [0, 0, 1, 1], cameras [1, 2, 1, 3]
    # wrong pairs (different ids): (0,2) same camera 1, (0,3), (1,2), (1,3) -> 1 of 4 from one camera
    assert false_merge_camera_share([0, 0, 0, 0], [0, 0, 1, 1], [1, 2, 1, 3]) == pytest.approx(1 / 4)
    # outliers form no pairs; perfect labels have no wrong pairs
    assert false_merge_camera_share([-1, -1, 0, 0], [0, 1, 2, 2], [1, 1, 1, 1]) == 0.0


def test_false_merge_camera_share_brute_force() -> None:
    from itertools import combinations

    from unreid.clustering.label_quality import false_merge_camera_share

    rng = np.random.default_rng(0)
    pseudo, truth, cams = rng.integers(-1, 5, 60), rng.integers(0, 8, 60), rng.integers(0, 3, 60)
    wrong = [(i, j) for i, j in combinations(range(60), 2)
             if pseudo[i] >= 0 and pseudo[i] == pseudo[j] and truth[i] != truth[j]]
    same = sum(cams[i] == cams[j] for i, j in wrong)
    assert false_merge_camera_share(pseudo, truth, cams) == pytest.approx(same / len(wrong))
