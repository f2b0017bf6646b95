"""Memories are found by name (``loss.instance_memory``); one registered outside the package trains a tiny run."""

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
from unreid.memory.cluster_memory import ClusterMemory
from unreid.memory.registry import MEMORIES, build_memory, memory_names


class FrozenCentroids(ClusterMemory):
    """A :class:`ClusterMemory` whose centroids stay those of the epoch's start (no momentum update)."""

    skipped_updates = 0

    @torch.no_grad()
    def update_centroids(self, features: Tensor, labels: Tensor, *, max_occurrences: int | None = None) -> None:
        self.skipped_updates += 1


made: list[FrozenCentroids] = []


def frozen_centroids(*, features: Tensor, labels: Tensor, num_clusters: int, core: Tensor | None,
                     cameras: Tensor | None, options: LossConfig) -> ClusterMemory:
    memory = FrozenCentroids(features=features, labels=labels, num_clusters=num_clusters, momentum=options.momentum,
                             instance_momentum=options.instance_momentum, core=core, cameras=cameras)
    made.append(memory)
    return memory


@pytest.fixture
def registered() -> Iterator[None]:
    made.clear()
    with MEMORIES.temporarily("test_frozen_centroids", frozen_centroids):
        yield


def test_the_built_in_memories_are_registered_and_the_default_is_one_feature_per_image() -> None:
    assert memory_names()[:2] == ("all", "per_cluster") and LossConfig().instance_memory == "all"


@pytest.mark.usefixtures("registered")
def test_a_memory_registered_outside_the_package_trains_a_tiny_run() -> None:
    history = tiny_trainer(loss=LossConfig(instance_memory="test_frozen_centroids")).fit()
    [memory] = made  # one per epoch, made from the epoch's features and labels
    assert memory.num_clusters == history[0]["clusters"] == 3
    assert memory.skipped_updates == 2  # the loop updated the memory after each of its 2 steps
    assert not [p for p in config_problems(load_config(overrides=["loss.instance_memory=test_frozen_centroids"]))
                if p.startswith("loss.instance_memory")]


def test_an_unknown_name_lists_the_registered_ones() -> None:
    features = F.normalize(torch.randn(4, 3), dim=1)  # [4, 3]
    with pytest.raises(ValueError, match=r"^unknown memory 'fifo' \(loss.instance_memory\); registered: all, "
                                         r"per_cluster$"):
        build_memory("fifo", features=features, labels=torch.tensor([0, 0, 1, 1]), num_clusters=2,
                     options=LossConfig())
    assert "loss.instance_memory='fifo': valid values are all, per_cluster" in config_problems(
        load_config(overrides=["loss.instance_memory=fifo"]))
