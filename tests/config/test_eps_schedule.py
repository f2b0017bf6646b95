"""``cluster.eps_start`` and ``cluster.eps_epochs``: the scheduled DBSCAN radius of each epoch, the one clustered with."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.eps_policy import EpsPolicy
from unreid.config.schema import ClusterConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import ClusteringLabeller

SCHEDULE = ClusterConfig(eps_policy=EpsPolicy.SCHEDULE, eps_start=0.8, eps=0.4, eps_epochs=4)


@pytest.mark.parametrize("epoch, eps", [(0, 0.8), (1, 0.7), (2, 0.6), (3, 0.5), (4, 0.4), (9, 0.4)])
def test_eps_moves_linearly_from_eps_start_to_eps_over_eps_epochs(epoch: int, eps: float) -> None:
    assert SCHEDULE.eps_for(epoch) == pytest.approx(eps)


def test_each_setting_changes_the_schedule() -> None:
    assert ClusterConfig(eps_policy=EpsPolicy.SCHEDULE, eps_start=0.5, eps=0.4, eps_epochs=4).eps_for(0) == 0.5
    assert ClusterConfig(eps_policy=EpsPolicy.SCHEDULE, eps_start=0.8, eps=0.4, eps_epochs=8).eps_for(2) == \
        pytest.approx(0.7)
    assert ClusterConfig(eps_policy=EpsPolicy.SCHEDULE, eps_start=0.8, eps=0.4, eps_epochs=0).eps_for(0) == 0.4
    fixed = ClusterConfig(eps_start=0.8, eps=0.4, eps_epochs=4)  # eps_policy=fixed: the schedule is not used
    assert [fixed.eps_for(e) for e in (0, 2)] == [0.4, 0.4]


def test_the_labeller_clusters_with_the_scheduled_eps() -> None:
    generator = torch.Generator().manual_seed(1)
    centres = F.normalize(torch.randn(3, 16, generator=generator), dim=1)  # [3, 16]
    noise = 0.03 * torch.randn(18, 16, generator=generator)  # [18, 16]
    features = F.normalize(centres.repeat_interleave(6, 0) + noise, dim=1)  # [18, 16]: three tight groups
    records = [Record(Path(f"{i}.jpg"), person_id=i // 6, camera_id=i % 2) for i in range(18)]
    labeller = ClusteringLabeller(
        ClusterConfig(eps_policy=EpsPolicy.SCHEDULE, eps_start=0.8, eps=0.4, eps_epochs=4, k1=6, k2=2, min_samples=2))
    assert [labeller(features, records, epoch).eps for epoch in (0, 2, 4)] == pytest.approx([0.8, 0.6, 0.4])
