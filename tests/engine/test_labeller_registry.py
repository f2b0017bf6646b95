"""Labellers are found by name; one registered from outside the package trains, and a failure names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import Tensor

from unreid.clustering.cluster_algorithm import ClusterAlgorithm
from unreid.config.loader import load_config
from unreid.config.schema import ClusterConfig, LossConfig, TrainConfig
from unreid.config.validation import config_problems
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import (
    LABELLERS,
    ClusteringLabeller,
    EpochLabels,
    OracleLabeller,
    PseudoLabeller,
    build_labeller,
    configured_labeller_name,
    register_labeller,
)
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.training_failure import TrainingFailure
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import build_embedding_model


class ModuloLabeller:
    """Image ``i`` gets label ``i % groups`` (``groups=0``: every image an outlier)."""

    name = "the modulo labeller"

    def __init__(self, cluster: ClusterConfig, groups: int = 3) -> None:
        self.groups, self.calls = groups, 0

    def __call__(self, features: Tensor, records: list[Record], epoch: int) -> EpochLabels:
        self.calls += 1
        n = features.shape[0]
        labels = torch.arange(n) % self.groups if self.groups else torch.full((n,), -1)  # [N]
        return EpochLabels(labels=labels, core=torch.ones(n, dtype=torch.bool), eps=0.0)  # [N], [N]

    def failure_hint(self, features: Tensor, records: list[Record], *, epoch: int, num_outliers: int,
                     lr: float) -> str:
        return f"{num_outliers} outliers; use more groups"


@pytest.fixture
def registered() -> Iterator[None]:
    with (LABELLERS.temporarily("modulo", ModuloLabeller),
          LABELLERS.temporarily("all_outliers", lambda cluster: ModuloLabeller(cluster, groups=0))):
        yield


def _trainer(labeller: PseudoLabeller, epochs: int = 2) -> UnsupervisedTrainer:
    gen = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (24, 3, 32, 16), generator=gen, dtype=torch.uint8)  # [24, 3, 32, 16]
    records = [Record(Path(f"{i}.jpg"), i % 3, i % 2) for i in range(24)]
    return UnsupervisedTrainer(
        model=build_embedding_model(backbone="resnet10t"), data=TrainingSet(pixels=pixels, records=records),
        objective=TrainingObjective(labeller=labeller, loss=BatchQueryLoss(MultiLevelContrastiveLoss()),
                                    memory=LossConfig()),
        train=TrainConfig(epochs=epochs, iterations=2, num_identities=2, num_instances=4, channels_last=False),
        runtime=TrainerRuntime(extract_batch_size=32, progress=False),
    )


def test_the_built_in_labellers_are_registered_and_chosen_by_the_configuration() -> None:
    assert {"clustering", "oracle"} <= set(LABELLERS)
    assert configured_labeller_name(ClusterConfig()) == "clustering"
    assert configured_labeller_name(ClusterConfig(oracle=True)) == "oracle"
    assert configured_labeller_name(ClusterConfig(labeller="oracle")) == "oracle"
    assert isinstance(build_labeller("clustering", cluster=ClusterConfig()), ClusteringLabeller)
    assert isinstance(build_labeller("oracle", cluster=ClusterConfig()), OracleLabeller)
    with pytest.raises(ValueError, match="unknown pseudo-labeller 'kmeans'; registered: .*clustering, .*oracle"):
        build_labeller("kmeans", cluster=ClusterConfig())
    with pytest.raises(ValueError, match="'oracle' is already registered"):
        register_labeller("oracle")(ModuloLabeller)


def test_the_name_in_the_failure_message_follows_the_algorithm() -> None:
    assert ClusteringLabeller(ClusterConfig()).name == "DBSCAN"
    assert ClusteringLabeller(ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP)).name == "Infomap"


@pytest.mark.usefixtures("registered")
def test_a_labeller_registered_outside_the_package_trains_a_tiny_run() -> None:
    labeller = build_labeller("modulo", cluster=ClusterConfig())
    assert isinstance(labeller, ModuloLabeller)
    history = _trainer(labeller).fit()
    assert labeller.calls == 2 and [row["clusters"] for row in history] == [3, 3]
    assert [row["outliers"] for row in history] == [0, 0]


@pytest.mark.usefixtures("registered")
def test_cluster_labeller_chooses_a_registered_labeller_and_refuses_others() -> None:
    config = load_config(overrides=["cluster.labeller=modulo"])
    assert configured_labeller_name(config.cluster) == "modulo"
    assert isinstance(build_labeller(configured_labeller_name(config.cluster), cluster=config.cluster), ModuloLabeller)
    assert not [p for p in config_problems(config) if p.startswith("cluster.labeller")]
    assert any(p.startswith("cluster.labeller='kmeans': valid values are clustering, oracle")
               for p in config_problems(load_config(overrides=["cluster.labeller=kmeans"])))


@pytest.mark.usefixtures("registered")
def test_the_failure_message_names_the_labeller_that_ran() -> None:
    trainer = _trainer(build_labeller("all_outliers", cluster=ClusterConfig()), epochs=1)
    with pytest.raises(TrainingFailure, match=r"^epoch 0: the modulo labeller found 0 cluster\(s\) among 24 images; "
                                              r"24 outliers; use more groups$"):
        trainer.fit()
