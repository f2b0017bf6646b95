"""cluster.tracklets in the training labeller: a track's crops share one pseudo-label; no tracks, no change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F

from unreid.clustering.eps_policy import EpsPolicy
from unreid.config.schema import ClusterConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import ClusteringLabeller


def _people(people: int = 4, per_person: int = 8) -> tuple[torch.Tensor, list[Record]]:
    """Well separated people; camera = index mod 3, no tracks."""
    generator = torch.Generator().manual_seed(2)
    centres = F.normalize(torch.randn(people, 32, generator=generator), dim=1)  # [P, D]
    n = people * per_person
    features = centres.repeat_interleave(per_person, 0) + 0.03 * torch.randn(n, 32, generator=generator)  # [N, D]
    records = [Record(Path(f"{i}.jpg"), person_id=i // per_person, camera_id=i % 3) for i in range(n)]
    return F.normalize(features, dim=1), records


CLUSTER = ClusterConfig(k1=8, k2=2, eps=0.6, min_samples=2)


def test_a_track_linking_two_people_keeps_its_crops_together_only_when_on() -> None:
    features, records = _people()
    records[0] = dataclasses.replace(records[0], track_id=5)   # person 0, camera 0
    records[9] = dataclasses.replace(records[9], track_id=5)   # person 1, camera 0: a tracker's identity switch
    on = ClusteringLabeller(CLUSTER)(features, records, epoch=0)
    assert on.labels[0] == on.labels[9]
    assert on.diagnostics["tracklet_units"] == len(records) - 1
    off = ClusteringLabeller(dataclasses.replace(CLUSTER, tracklets=False))(features, records, epoch=0)
    assert off.labels[0] != off.labels[9] and int(off.labels.max()) + 1 == 4
    assert "tracklet_units" not in off.diagnostics


def test_without_tracks_the_option_changes_nothing() -> None:
    features, records = _people()
    on = ClusteringLabeller(dataclasses.replace(CLUSTER, eps_policy=EpsPolicy.CROSS_CAMERA))(features, records, epoch=0)
    off = ClusteringLabeller(dataclasses.replace(CLUSTER, eps_policy=EpsPolicy.CROSS_CAMERA, tracklets=False))(
        features, records, epoch=0)
    assert torch.equal(on.labels, off.labels) and torch.equal(on.core, off.core) and on.eps == off.eps
    assert on.diagnostics == off.diagnostics and on.diagnostics["eps"] != CLUSTER.eps  # searched


def test_tracks_of_one_person_give_the_units_camera_and_true_labels() -> None:
    features, records = _people()
    # crops 0, 3, 6 are person 0 in camera 0: one track
    records = [dataclasses.replace(r, track_id=1) if i in (0, 3, 6) else r for i, r in enumerate(records)]
    labels = ClusteringLabeller(CLUSTER)(features, records, epoch=0)
    assert labels.diagnostics["pl_precision"] == 1.0 and labels.diagnostics["pl_recall"] == 1.0
    assert labels.labels.shape == (len(records),) and labels.core.shape == (len(records),)
