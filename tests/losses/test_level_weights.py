"""``loss.centroid_weight``, ``loss.intra_weight``, ``loss.inter_weight``: each multiplies its level's term in the total."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.config.schema import LossConfig
from unreid.losses.levels import level_weights
from unreid.losses.multilevel_contrastive import LossTerms, MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory

LEVELS = ("centroid", "intra", "inter")


def _terms(loss: LossConfig) -> LossTerms:
    """The loss of six queries against a memory of 12 features in 3 clusters, built from ``loss`` as the CLI does."""
    generator = torch.Generator().manual_seed(0)
    memory = ClusterMemory(features=F.normalize(torch.randn(12, 4, generator=generator), dim=1),
                           labels=torch.arange(12) % 3, num_clusters=3)  # [12, 4]
    queries = F.normalize(torch.randn(6, 4, generator=generator), dim=1)  # [6, 4]
    loss_fn = MultiLevelContrastiveLoss(temperature=0.1, weights=level_weights(loss))
    return loss_fn(queries, torch.tensor([0, 1, 2, 0, 1, 2]), memory)


@pytest.mark.parametrize("level", LEVELS)
def test_a_weight_of_zero_removes_the_term_and_two_doubles_it(level: str) -> None:
    base = _terms(LossConfig())
    values = {name: float(base.levels[name]) for name in LEVELS}  # each level's unweighted term
    assert all(v > 0 for v in values.values()) and float(base.total) == pytest.approx(sum(values.values()))

    off = _terms(LossConfig(**{f"{level}_weight": 0.0}))  # type: ignore[arg-type]
    assert level not in off.levels
    assert float(off.total) == pytest.approx(sum(v for name, v in values.items() if name != level))

    doubled = _terms(LossConfig(**{f"{level}_weight": 2.0}))  # type: ignore[arg-type]
    assert float(doubled.levels[level]) == pytest.approx(values[level])  # the term itself is unchanged
    assert float(doubled.total) == pytest.approx(sum(values.values()) + values[level])
