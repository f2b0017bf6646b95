"""Day two's crops join day one's identities; nothing existing is renumbered."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_days import day

from unreid.identities.assignment import assign_identities, identity_centroids
from unreid.identities.incremental import JOIN_PERCENTILE, add_crops, join_threshold, leave_one_out_similarities
from unreid.identities.result_files import IdentityResult


def first_day() -> IdentityResult:
    """Day one: people 0..5, six crops each, with identity = person (clustering is not under test here)."""
    crops, features, truth = day(list(range(6)), 6, name="day1", seed=1)
    truth[-1] = -1  # one crop unassigned
    assignment = assign_identities(features, truth)
    return IdentityResult(crops=crops, identities=assignment.identities, similarities=assignment.similarities,
                          centroids=assignment.centroids, features=features, fingerprint="abc")


def test_leave_one_out_similarity_closed_form() -> None:
    features = np.array([[1, 0], [0, 1], [0, 1], [1, 0]], dtype=np.float32)
    # identity 0 = rows 0..2: row 0 vs mean of (0,1),(0,1) -> 0; rows 1, 2 vs (1,1)/sqrt2 -> 1/sqrt2; row 3 alone
    similarities = leave_one_out_similarities(features, np.array([0, 0, 0, 1]))
    assert similarities == pytest.approx([0.0, 2**-0.5, 2**-0.5], abs=1e-6)


def test_default_threshold_is_a_low_percentile_of_leave_one_out_similarities() -> None:
    result = first_day()
    loo = leave_one_out_similarities(result.features, result.identities)
    assert join_threshold(result) == pytest.approx(float(np.percentile(loo, JOIN_PERCENTILE)))
    assert loo.size == 35 and join_threshold(result) < np.median(loo)
    own = result.similarities[result.identities >= 0]
    assert join_threshold(result) < np.percentile(own, JOIN_PERCENTILE)  # below the biased plain similarities


def test_second_day_crops_of_known_people_join_their_identities() -> None:
    result = first_day()
    known, known_features, known_truth = day(list(range(6)), 2, name="day2", seed=2)
    strangers, stranger_features, _ = day([8, 9], 5, name="day2s", seed=3)
    merged, report = add_crops(result, known + strangers, np.concatenate([known_features, stranger_features]))
    n_old, n_known = len(result.crops), len(known)
    assert merged.identities[:n_old].tolist() == result.identities.tolist()  # nothing renumbered
    assert merged.identities[n_old : n_old + n_known].tolist() == known_truth.tolist()  # joined their people
    assert report.joined == n_known
    strangers_ids = merged.identities[n_old + n_known :]
    assert all(i == -1 or i >= result.num_identities for i in strangers_ids.tolist())  # never an old identity
    assert report.new_identities == merged.num_identities - result.num_identities
    assert report.changed >= set(range(6))
    expected = identity_centroids(merged.features, merged.identities, num_identities=merged.num_identities)
    assert merged.centroids == pytest.approx(expected, abs=1e-6)
    assert merged.fingerprint == "abc" and len(merged.crops) == merged.features.shape[0]


def test_a_threshold_above_every_similarity_joins_nothing() -> None:
    result = first_day()
    crops, features, _ = day([0, 1], 2, name="day2", seed=2)
    merged, report = add_crops(result, crops, features, threshold=1.0001)
    assert report.joined == 0
    assert merged.identities[: len(result.crops)].tolist() == result.identities.tolist()
    assert all(i == -1 or i >= 6 for i in merged.identities[len(result.crops) :].tolist())


def test_feature_size_must_match() -> None:
    result = first_day()
    with pytest.raises(ValueError, match="embed with the model that built it"):
        add_crops(result, result.crops[:1], np.zeros((1, 5), dtype=np.float32))
