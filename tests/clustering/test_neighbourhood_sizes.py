"""cluster.neighbours=auto: k1, k2 and min_samples scaled to the collection size (closed forms)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.neighbourhood_sizes import NeighbourhoodPolicy, NeighbourhoodSizes, sizes_for_collection
from unreid.config.schema import ClusterConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import ClusteringLabeller


@pytest.mark.parametrize(("n", "expected"), [
    (8642, NeighbourhoodSizes(k1=23, k2=6, min_samples=4)),  # sqrt/4 = 23.2; 0.3 k1 = 6.9 -> 6; k1/5 = 4.6 -> 4
    (1940, NeighbourhoodSizes(k1=11, k2=3, min_samples=2)),  # 11.01; 3.3; 2.2
    (60, NeighbourhoodSizes(k1=3, k2=1, min_samples=2)),  # 1.9 -> the floor 3; 0.9; 0.6 -> the floor 2
    (1_000_000, NeighbourhoodSizes(k1=30, k2=6, min_samples=4)),  # 250 -> the ceiling 30
    (3, NeighbourhoodSizes(k1=2, k2=1, min_samples=2)),  # never more neighbours than other images
])
def test_sizes_follow_the_square_root_of_the_collection(n: int, expected: NeighbourhoodSizes) -> None:
    assert sizes_for_collection(n) == expected


def test_fewer_than_two_images_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        sizes_for_collection(1)


def test_auto_replaces_the_configured_sizes_in_the_labeller() -> None:
    generator = torch.Generator().manual_seed(0)
    centres = F.normalize(torch.randn(100, 32, generator=generator), dim=1)  # [100, D]
    features = F.normalize(centres.repeat_interleave(4, 0) + 0.02 * torch.randn(400, 32, generator=generator), dim=1)
    records = [Record(Path(f"{i}.jpg"), person_id=i // 4, camera_id=i % 2) for i in range(400)]
    fixed = ClusterConfig(k1=30, k2=6, min_samples=4, eps=0.5)
    auto = ClusterConfig(k1=30, k2=6, min_samples=4, eps=0.5, neighbours=NeighbourhoodPolicy.AUTO)
    fixed_labels = ClusteringLabeller(fixed)(features, records, 0)
    auto_labels = ClusteringLabeller(auto)(features, records, 0)
    assert (fixed_labels.diagnostics["k1"], fixed_labels.diagnostics["min_samples"]) == (30, 4)
    assert (auto_labels.diagnostics["k1"], auto_labels.diagnostics["min_samples"]) == (5, 2)
    assert auto_labels.diagnostics["pl_precision"] == 1.0 and auto_labels.diagnostics["pl_recall"] == 1.0
