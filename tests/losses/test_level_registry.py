"""Loss levels are found by name; one registered outside the package enters the total, the logs and training."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from tiny_trainer import tiny_trainer
from unreid.config.loader import load_config
from unreid.config.schema import LossConfig
from unreid.config.validation import config_problems
from unreid.engine.epoch_hooks import epoch_line
from unreid.generator.generated_queries import GeneratedImageOptions
from unreid.losses.levels import LEVELS, LossLevel, level_names, level_weights, register_level
from unreid.losses.levels.inputs import LevelInputs, replace_column
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory

MARGIN = 0.2


def _margin_weight(loss: LossConfig) -> float:
    return 0.5 if loss.centroid else 0.0


def margin_logits(inputs: LevelInputs) -> Tensor:
    """CosFace's additive margin on the centroid level: the own centroid's similarity minus ``MARGIN``."""
    own = inputs.own_column(inputs.centroid_sims) - MARGIN  # [B]
    return replace_column(inputs.centroid_sims, inputs.labels, own)  # [B, C]


@pytest.fixture
def registered() -> Iterator[None]:
    with LEVELS.temporarily("test_margin", LossLevel(name="test_margin", logits=margin_logits,
                                                     config_weight=_margin_weight)):
        yield


def _memory() -> ClusterMemory:
    feats = F.normalize(torch.randn(12, 4), dim=1)  # [12, 4]
    return ClusterMemory(features=feats, labels=torch.arange(12) % 3, num_clusters=3)


def test_the_built_in_levels_in_the_order_of_the_total() -> None:
    assert level_names() == ("centroid", "intra", "inter")
    assert [LEVELS[name].ramped for name in level_names()] == [False, True, True]
    assert level_weights(LossConfig(intra=False, inter_weight=2.0)) == {"centroid": 1.0, "intra": 0.0, "inter": 2.0}


@pytest.mark.usefixtures("registered")
def test_a_registered_level_enters_the_total_with_its_configured_weight() -> None:
    assert level_names() == ("centroid", "intra", "inter", "test_margin")
    weights = level_weights(LossConfig(intra=False, inter=False))
    assert weights == {"centroid": 1.0, "intra": 0.0, "inter": 0.0, "test_margin": 0.5}
    memory, q, y = _memory(), F.normalize(torch.randn(5, 4), dim=1), torch.tensor([0, 1, 2, 0, 1])
    terms = MultiLevelContrastiveLoss(temperature=0.1, weights=weights)(q, y, memory)
    sims = q @ memory.centroids.t()  # [5, 3]
    expected = F.cross_entropy((sims - MARGIN * F.one_hot(y, 3)) / 0.1, y)
    assert set(terms.levels) == {"centroid", "test_margin"}
    assert torch.allclose(terms.levels["test_margin"], expected, atol=1e-6)
    assert torch.allclose(terms.total, terms.levels["centroid"] + 0.5 * expected, atol=1e-6)


@pytest.mark.usefixtures("registered")
def test_a_registered_level_trains_a_tiny_run_and_shows_in_the_log_and_the_generator_levels() -> None:
    history = tiny_trainer().fit()
    assert history[0]["loss_test_margin"] > 0 and "test_margin" in epoch_line(history[0])
    assert GeneratedImageOptions(levels=("test_margin",)).levels == ("test_margin",)
    assert not [p for p in config_problems(load_config(overrides=["generator.levels=centroid,test_margin"]))
                if p.startswith("generator.levels")]


def test_an_unknown_level_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown loss level 'arcface'; registered: centroid, intra, inter$"):
        MultiLevelContrastiveLoss(weights={"centroid": 1.0, "arcface": 1.0})
    with pytest.raises(ValueError, match="choose one or more of centroid, intra, inter"):
        GeneratedImageOptions(levels=("arcface",))
    assert ("generator.levels='centroid,arcface': one or more of centroid, intra, inter, comma-separated"
            in config_problems(load_config(overrides=["generator.levels=centroid,arcface"])))
    with pytest.raises(ValueError, match="loss level 'centroid' is already registered"):
        register_level("centroid")(margin_logits)
