"""Tracklets as must-link: a track's crops are one unit, so clustering never splits them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering import ClusteringSettings, cluster_features
from unreid.clustering.label_free import label_free_clustering
from unreid.clustering.pseudo_labels import PseudoLabels
from unreid.clustering.tracklets import tracklet_units

MakeClustered = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def test_units_closed_form() -> None:
    features = torch.tensor([[3.0, 0.0], [0.0, 2.0], [0.0, 5.0], [1.0, 1.0], [4.0, 0.0]])  # [5, 2]
    tracks = torch.tensor([7, -1, 7, -1, 2])
    cameras = torch.tensor([0, 1, 0, 1, 2])
    units = tracklet_units(features, tracks, cameras=cameras)
    assert units is not None
    # units in order of first crop: track 7 (crops 0, 2), crop 1, crop 3, track 2 (crop 4)
    assert units.unit_of.tolist() == [0, 1, 0, 2, 3]
    assert units.sizes.tolist() == [2, 1, 1, 1]
    assert units.cameras is not None and units.cameras.tolist() == [0, 1, 1, 2]
    half = 2**-0.5
    assert torch.allclose(units.features[0], torch.tensor([half, half]))  # mean of (1, 0) and (0, 1), normalised
    assert torch.equal(units.features[1:], features[[1, 3, 4]])  # a lone crop keeps its own feature


def test_expand_broadcasts_labels_and_core_and_recounts_outliers() -> None:
    units = tracklet_units(torch.eye(4), torch.tensor([0, 0, 0, -1]))
    assert units is not None and units.num_units == 2
    result = PseudoLabels(labels=torch.tensor([-1, 0]), num_clusters=1, num_outliers=1,
                          core=torch.tensor([False, True]), eps=0.4)
    crops = units.expand(result)
    assert crops.labels.tolist() == [-1, -1, -1, 0]
    assert crops.core is not None and crops.core.tolist() == [False, False, False, True]
    assert (crops.num_outliers, crops.num_clusters, crops.eps) == (3, 1, 0.4)


def test_no_tracks_means_no_units() -> None:
    assert tracklet_units(torch.randn(6, 3), torch.full((6,), -1)) is None


@pytest.mark.parametrize("search", [False, True])
def test_singleton_tracks_equal_the_plain_path(make_clustered: MakeClustered, search: bool) -> None:
    features, _ = make_clustered(n=120, num_ids=6, dim=16, seed=3, spread=0.5)
    cameras = torch.arange(120) % 3
    tracks = torch.where(torch.arange(120) % 2 == 0, torch.arange(120) + 100, -1)  # every track one crop
    units = tracklet_units(features, tracks, cameras=cameras)
    assert units is not None and units.num_units == 120
    assert units.cameras is not None
    settings = ClusteringSettings(k1=10, k2=3, min_samples=3, eps=0.5, eps_search=search)
    plain = cluster_features(features, settings, cameras=cameras)
    with_units = units.expand(cluster_features(units.features, settings, cameras=units.cameras))
    assert torch.equal(plain.labels, with_units.labels) and plain.eps == with_units.eps


def test_a_track_is_never_split_even_across_far_apart_features(make_clustered: MakeClustered) -> None:
    features, identities = make_clustered(n=160, num_ids=4, dim=16, seed=0, spread=0.3)
    first = int(torch.nonzero(identities == 0)[0])
    second = int(torch.nonzero(identities == 1)[0])
    plain, _ = label_free_clustering(features, cameras=None)
    assert plain.labels[first] != plain.labels[second]  # far apart: the plain path splits them
    tracks = torch.full((160,), -1)
    tracks[[first, second]] = 0  # a (wrong) track that links them
    units = tracklet_units(features, tracks)
    assert units is not None and units.num_units == 159
    linked = units.expand(label_free_clustering(units.features, cameras=None)[0])
    assert linked.labels[first] == linked.labels[second]


def test_every_track_shares_one_label(make_clustered: MakeClustered) -> None:
    features, identities = make_clustered(n=200, num_ids=5, dim=16, seed=1, spread=0.9)
    tracks = torch.arange(200) // 4  # tracks of four crops, whatever their features
    units = tracklet_units(features, tracks)
    assert units is not None and units.num_units == 50
    labels = units.expand(cluster_features(units.features, ClusteringSettings(k1=6, k2=2, min_samples=2, eps=0.6))).labels
    assert all(len(set(labels[tracks == t].tolist())) == 1 for t in range(50))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="several cameras"):
        tracklet_units(torch.randn(3, 2), torch.tensor([0, 0, -1]), cameras=torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="3 features"):
        tracklet_units(torch.randn(3, 2), torch.tensor([0, 0]))


def test_units_follow_the_features_device_and_dtype() -> None:
    features = F.normalize(torch.randn(5, 4), dim=1).half()
    units = tracklet_units(features, torch.tensor([1, 1, -1, 2, 2]))
    assert units is not None and units.features.dtype == torch.float32 and units.features.shape == (3, 4)
    assert torch.allclose(units.features.norm(dim=1), torch.ones(3), atol=1e-3)  # the lone crop: float16 input
