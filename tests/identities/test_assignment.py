"""Centroids, similarity to them, and the attach threshold, on 2-D unit vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from unreid.identities.assignment import UNASSIGNED, assign_identities, identity_centroids


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


# identity 0 around 0 deg, identity 1 around 180 deg, an outlier at 60 deg (cos 0.5 to centroid 0)
FEATURES = np.array([unit(-20), unit(20), unit(160), unit(200), unit(60)], dtype=np.float32)
LABELS = np.array([0, 0, 1, 1, -1])


def test_centroids_and_own_similarity() -> None:
    result = assign_identities(FEATURES, LABELS)
    assert result.centroids == pytest.approx(np.array([[1, 0], [-1, 0]], dtype=np.float32), abs=1e-6)
    assert result.identities.tolist() == [0, 0, 1, 1, UNASSIGNED]
    assert result.similarities[:4] == pytest.approx([math.cos(math.radians(20))] * 4, abs=1e-6)
    assert math.isnan(result.similarities[4]) and result.attached == 0


def test_attach_threshold_below_and_above_the_similarity() -> None:
    kept = assign_identities(FEATURES, LABELS, attach_similarity=0.51)
    assert kept.identities[4] == UNASSIGNED and kept.attached == 0
    attached = assign_identities(FEATURES, LABELS, attach_similarity=0.49)
    assert attached.identities[4] == 0 and attached.attached == 1
    # the centroid now includes the attached crop: mean of -20, 20 and 60 degrees, normalised
    mean = np.array(unit(-20)) + np.array(unit(20)) + np.array(unit(60))
    assert attached.centroids[0] == pytest.approx(mean / np.linalg.norm(mean), abs=1e-6)
    assert attached.similarities[4] == pytest.approx(float(np.dot(unit(60), mean / np.linalg.norm(mean))), abs=1e-6)


def test_centroid_of_an_empty_identity_is_zero() -> None:
    centroids = identity_centroids(FEATURES, np.array([0, 0, -1, -1, -1]), num_identities=2)
    assert centroids[1].tolist() == [0.0, 0.0]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="must lie in"):
        assign_identities(FEATURES, LABELS, attach_similarity=1.5)
    with pytest.raises(ValueError, match="5 features but 4 labels"):
        assign_identities(FEATURES, LABELS[:4])
