"""A run that cannot go on stops with a message naming the setting, and saves nothing bad."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from unreid.clustering.jaccard_dense import DENSE_BYTES_PER_PAIR, jaccard_distance_dense
from unreid.clustering.memory_budget import require_memory
from unreid.config.schema import ClusterConfig, LossConfig, TrainConfig
from unreid.data.records import Record
from unreid.engine.epoch_hooks import CheckpointHook, EpochHook, MetricsLogHook
from unreid.engine.pseudo_labeller import ClusteringLabeller
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.trainer_view import TrainerView
from unreid.engine.training_failure import TrainingFailure
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.evaluation.reranking import RERANK_BYTES_PER_PAIR, k_reciprocal_rerank
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import build_embedding_model


def _colour_blobs(colours: int = 4, per_colour: int = 6) -> tuple[torch.Tensor, list[Record]]:
    gen = torch.Generator().manual_seed(0)
    base = torch.randint(0, 256, (colours, 3, 1, 1), generator=gen)
    noise = torch.randint(-12, 13, (colours, per_colour, 3, 32, 16), generator=gen)
    pixels = (base[:, None] + noise).clamp(0, 255).to(torch.uint8).flatten(0, 1)  # [C * n, 3, 32, 16]
    records = [Record(Path(f"{c}_{i}.jpg"), c, i % 2) for c in range(colours) for i in range(per_colour)]
    return pixels, records


def _objective() -> TrainingObjective:
    return TrainingObjective(labeller=ClusteringLabeller(ClusterConfig(k1=6, k2=2, eps=0.6, min_samples=2)),
                             loss=BatchQueryLoss(MultiLevelContrastiveLoss()), memory=LossConfig())


def test_nan_loss_names_the_learning_rate_and_saves_no_checkpoint(tmp_path: Path) -> None:
    pixels, records = _colour_blobs()
    with pytest.raises(TrainingFailure, match=r"epoch 0: the loss is not finite .*lower train.lr \(now 1e\+30\)"):
        UnsupervisedTrainer(
            model=build_embedding_model(backbone="resnet10t"), data=TrainingSet(pixels=pixels, records=records),
            objective=_objective(),
            train=TrainConfig(epochs=2, iterations=3, num_identities=2, num_instances=4, lr=1e30, channels_last=False),
            hooks=[MetricsLogHook(tmp_path), CheckpointHook(tmp_path, model_spec={})],
            runtime=TrainerRuntime(extract_batch_size=32, progress=False),
        ).fit()
    assert not (tmp_path / "last.pth").exists() and not (tmp_path / "model.pth").exists()
    assert not (tmp_path / "metrics.jsonl").exists()


class _Recorder(EpochHook):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failure: BaseException | None = None

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        self.calls.append(f"after_epoch {row['epoch']}")

    def after_training(self, trainer: TrainerView) -> None:
        self.calls.append("after_training")
        self.failure = trainer.failure


def test_after_training_runs_when_an_epoch_fails_and_the_failure_is_raised_again() -> None:
    pixels, records = _colour_blobs()
    recorder = _Recorder()
    trainer = UnsupervisedTrainer(
        model=build_embedding_model(backbone="resnet10t"), data=TrainingSet(pixels=pixels, records=records),
        objective=_objective(),
        train=TrainConfig(epochs=2, iterations=3, num_identities=2, num_instances=4, lr=1e30, channels_last=False),
        hooks=[recorder], runtime=TrainerRuntime(extract_batch_size=32, progress=False),
    )
    with pytest.raises(TrainingFailure, match="epoch 0: the loss is not finite") as raised:
        trainer.fit()
    assert recorder.calls == ["after_training"]  # epoch 0 never ended, yet the hooks were closed
    assert recorder.failure is raised.value and trainer.failure is raised.value


def test_memory_check_is_closed_form() -> None:
    require_memory(needed=100, device=torch.device("cpu"), what="x", fix="y", available=100)
    with pytest.raises(ValueError, match=r"x needs about 2.0 GB but only 1.0 GB is free on cpu; y"):
        require_memory(needed=2 * 10**9, device=torch.device("cpu"), what="x", fix="y", available=10**9)


def test_dense_jaccard_and_reranking_refuse_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    import unreid.clustering.memory_budget as budget

    n = 100
    monkeypatch.setattr(budget, "available_bytes", lambda device: DENSE_BYTES_PER_PAIR * n * n - 1)
    with pytest.raises(ValueError, match="dense Jaccard distance of 100 images.*cluster.method=sparse"):
        jaccard_distance_dense(torch.randn(n, 8), k1=5, k2=2)
    monkeypatch.setattr(budget, "available_bytes", lambda device: RERANK_BYTES_PER_PAIR * n * n - 1)
    d = torch.rand(60, 40)
    with pytest.raises(ValueError, match="re-ranking of 100 query and gallery images.*eval.rerank=false"):
        k_reciprocal_rerank(q_g=d, q_q=torch.rand(60, 60), g_g=torch.rand(40, 40), k1=5, k2=2, lambda_value=0.3)
    monkeypatch.setattr(budget, "available_bytes", lambda device: DENSE_BYTES_PER_PAIR * n * n)
    assert jaccard_distance_dense(torch.randn(n, 8), k1=5, k2=2).shape == (n, n)


def test_free_memory_is_known_on_this_machine() -> None:
    from unreid.clustering.memory_budget import available_bytes

    free = available_bytes(torch.device("cpu"))
    assert free is None or free > 0


def test_collapsed_features_blame_the_learning_rate_not_eps() -> None:
    from unreid.engine.failure_hints import no_clusters_hint

    records = [Record(path=Path(f"{i}.jpg"), person_id=i % 5, camera_id=0) for i in range(40)]
    same = torch.ones(40, 8) + 1e-4 * torch.randn(40, 8)  # every image maps to (almost) the same feature
    hint = no_clusters_hint(features=same, records=records, eps=0.6, min_samples=4, num_outliers=0, lr=0.5,
                            trained=True)
    assert "almost identical" in hint and "lower train.lr (now 0.5)" in hint and "eps" not in hint
    spread = torch.nn.functional.normalize(torch.randn(40, 8), dim=1)
    assert "lower cluster.eps" in no_clusters_hint(features=spread, records=records, eps=0.6, min_samples=4,
                                                   num_outliers=0, lr=0.5, trained=True)
