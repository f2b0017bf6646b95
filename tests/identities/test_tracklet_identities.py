"""`unreid identities` with tracks: the crops of one track get one identity."""

from __future__ import annotations

import numpy as np
from synthetic_days import day

from unreid.identities.clustering_step import found_identities


def test_a_track_gets_one_identity_and_no_tracks_change_nothing() -> None:
    crops, features, truth = day(list(range(8)), 8, name="d", seed=3)
    cameras = np.array([c.camera for c in crops])
    plain, eps = found_identities(features, cameras=cameras)
    first, second = int(np.flatnonzero(truth == 0)[0]), int(np.flatnonzero(truth == 1)[0])  # both camera 0
    assert plain[first] != plain[second]
    none = np.full(len(crops), -1)
    assert np.array_equal(found_identities(features, cameras=cameras, tracks=none)[0], plain)
    tracks = none.copy()
    tracks[[first, second]] = 4
    linked, _ = found_identities(features, cameras=cameras, tracks=tracks)
    assert linked[first] == linked[second]


def test_fewer_than_four_units_stay_unassigned() -> None:
    _, features, _ = day([0, 1], 5, name="d", seed=0)
    labels, _ = found_identities(features, tracks=np.array([0] * 5 + [1] * 5))
    assert (labels == -1).all()
