"""Issue 16's options, set through the configuration, reach their components (tiny runs, one epoch each)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import Tensor, nn

import unreid.engine.unsupervised_trainer as trainer_module
import unreid.losses.multilevel_contrastive as contrastive
from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.engine.run_log import read_metrics
from unreid.memory.per_cluster_instances import PerClusterInstanceMemory

TinyRun = Callable[..., list[str]]


def _run(overrides: list[str]) -> list[dict[str, Any]]:
    outcome = run_training(load_config(overrides=overrides), progress=False)
    return read_metrics(outcome.run_dir)


@pytest.mark.slow
def test_per_cluster_memory_serves_the_extremes(tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch) -> None:
    shapes: list[tuple[int, ...]] = []
    original = PerClusterInstanceMemory.instance_extremes

    def spy(self: PerClusterInstanceMemory, *args: Any, **kwargs: Any) -> tuple[Tensor, Tensor]:
        shapes.append(tuple(self.slots.shape))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PerClusterInstanceMemory, "instance_extremes", spy)
    _run(tiny_run("ring", "loss.instance_memory=per_cluster", "loss.instances_per_cluster=3", "train.epochs=1"))
    assert len(shapes) == 3 and all(s[1] == 3 for s in shapes)  # one call per step, K = 3 slots


@pytest.mark.slow
def test_mean_teacher_is_clustered_and_saved_and_the_student_kept_for_resume(
        tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    extracted_by_teacher: list[bool] = []
    original = trainer_module.extract_features

    def spy(model: nn.Module, *args: Any, **kwargs: Any) -> Tensor:
        extracted_by_teacher.append(not any(p.requires_grad for p in model.parameters()))  # the teacher has no grads
        return original(model, *args, **kwargs)

    monkeypatch.setattr(trainer_module, "extract_features", spy)
    _run(tiny_run("teacher", "train.teacher_momentum=0.5", "train.epochs=2"))
    # the untrained model's features, then each epoch's model once at its end (score_model), which epoch 1
    # clusters instead of extracting again: 3 extractions for 2 epochs, all by the teacher
    assert extracted_by_teacher == [True, True, True]
    last = torch.load(tmp_path / "teacher" / "last.pth", weights_only=False)
    final = torch.load(tmp_path / "teacher" / "model.pth", weights_only=False)
    name = next(k for k, v in final["model"].items() if v.is_floating_point())
    assert torch.equal(final["model"][name], last["teacher"][name])
    assert not torch.equal(last["model"][name], last["teacher"][name])  # the student, for an exact resume


@pytest.mark.slow
def test_camera_entropy_weight_and_other_camera_pool_reach_the_loss(tiny_run: TinyRun,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    weights: list[Tensor] = []
    masks: list[Tensor] = []
    original_weights, original_mask = contrastive.query_weights, contrastive.other_camera_mask

    def weight_spy(entropy: Tensor, labels: Tensor) -> Tensor:
        weights.append(original_weights(entropy, labels))
        return weights[-1]

    def mask_spy(cameras: Tensor, query_instances: Tensor) -> Tensor:
        masks.append(original_mask(cameras, query_instances))
        return masks[-1]

    monkeypatch.setattr(contrastive, "query_weights", weight_spy)
    monkeypatch.setattr(contrastive, "other_camera_mask", mask_spy)
    _run(tiny_run("entropy", "loss.camera_entropy_weight=true", "loss.positive_pool=other_camera", "train.epochs=1"))
    assert len(weights) == 3 and all(w.mean().item() == pytest.approx(1.0) for w in weights)
    assert any(w.std().item() > 0 for w in weights)  # clusters of the synthetic set differ in their cameras
    assert len(masks) == 3 and all(m.dim() == 2 and not bool(m.all()) for m in masks)


@pytest.mark.slow
def test_same_seed_runs_with_every_new_option_are_bit_identical(tiny_run: TinyRun) -> None:
    options = ("loss.instance_memory=per_cluster", "loss.instances_per_cluster=4", "train.teacher_momentum=0.9",
               "loss.camera_entropy_weight=true", "loss.positive_pool=other_camera", "train.iterations=2",
               "train.eval_every=0")
    histories = [[{k: v for k, v in r.items() if not k.startswith("time_")} for r in _run(tiny_run(name, *options))]
                 for name in ("first", "second")]
    assert histories[0] == histories[1]


@pytest.mark.slow
def test_resume_with_a_mean_teacher_equals_the_uninterrupted_run(tiny_run: TinyRun) -> None:
    options = ("train.teacher_momentum=0.9", "train.iterations=2")
    straight = _run(tiny_run("straight", *options))
    _run(tiny_run("resumed", *options, "train.epochs=1"))
    resumed = read_metrics(run_training(load_config(overrides=tiny_run("resumed", *options)), resume=True,
                                        progress=False).run_dir)
    assert [{k: v for k, v in r.items() if not k.startswith("time_")} for r in resumed] == \
        [{k: v for k, v in r.items() if not k.startswith("time_")} for r in straight]
