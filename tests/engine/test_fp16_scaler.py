"""``train.amp=fp16`` trains through a ``torch.amp.GradScaler``, so tiny gradients survive float16."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from unreid.data.pk_sampler import PKSampler
from unreid.engine.batch_stream import BatchStream
from unreid.engine.precision import grad_scaler, resolve_amp
from unreid.engine.train_epoch import EpochStep, train_one_epoch
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import LossTerms, MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory

TINY = 1e-8  # below float16's smallest subnormal / 2 (about 3e-8): rounds to 0 in float16
LR = 1e4
BATCH = 8


def _fp16_autocast_on_cpu() -> bool:
    try:
        with torch.autocast("cpu", dtype=torch.float16):
            return nn.Linear(2, 2)(torch.ones(1, 2)).dtype == torch.float16
    except RuntimeError:
        return False


pytestmark = pytest.mark.skipif(not _fp16_autocast_on_cpu(), reason="this torch has no float16 autocast on CPU")


class _ConstantInput(nn.Module):
    """``fc(ones)`` per image: the weight gradient of ``sum(output) * TINY`` is ``TINY * B`` in every entry."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 8)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(torch.ones(x.shape[0], 4, device=x.device))  # [B, 8]


class _TinyLoss(BatchQueryLoss):
    def __call__(self, queries: Tensor, targets: Tensor, owners: Tensor, is_real: np.ndarray, memory: ClusterMemory,
                 *, level_scale: float) -> LossTerms:
        total = queries.float().sum() * TINY  # d total / d queries = TINY everywhere
        return LossTerms(total=total, levels={})


def _train(scaler: torch.amp.GradScaler | None, amp: str, steps: int = 3) -> tuple[Tensor, Tensor]:
    """Weights before and after ``steps`` SGD steps with autocast ``amp`` on CPU."""
    torch.manual_seed(0)
    model = _ConstantInput()
    n = 16
    labels = torch.arange(n) // 4  # [N]: 4 clusters of 4
    pixels = torch.randint(0, 256, (n, 3, 16, 8), dtype=torch.uint8)  # [N, 3, H, W]
    memory = ClusterMemory(features=torch.nn.functional.normalize(torch.randn(n, 8), dim=1), labels=labels,
                           num_clusters=4)
    batches = BatchStream(pixels=pixels, labels=labels, instance_index=torch.arange(n), num_real=n,
                          sampler=PKSampler(labels.numpy(), num_identities=2, num_instances=4, seed=0),
                          device=torch.device("cpu"))
    before = model.fc.weight.detach().clone()  # [8, 4]
    step = EpochStep(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=LR),
                     loss=_TinyLoss(MultiLevelContrastiveLoss()), amp_dtype=resolve_amp(amp, torch.device("cpu")),
                     scaler=scaler)
    train_one_epoch(step=step, memory=memory, batches=batches, iterations=steps, progress=False)
    return before, model.fc.weight.detach()


def test_the_scaler_is_on_for_fp16_only() -> None:
    cpu = torch.device("cpu")
    assert grad_scaler(resolve_amp("fp16", cpu), cpu).is_enabled()
    assert not grad_scaler(resolve_amp("bf16", cpu), cpu).is_enabled()
    assert not grad_scaler(resolve_amp("none", cpu), cpu).is_enabled()


def test_without_a_scaler_tiny_fp16_gradients_underflow_to_zero() -> None:
    before, after = _train(torch.amp.GradScaler("cpu", enabled=False), "fp16")
    assert torch.equal(before, after)  # the failure the scaler exists to prevent


def test_fp16_steps_match_the_closed_form_through_the_scaler() -> None:
    scaler = grad_scaler(torch.float16, torch.device("cpu"))
    steps = 3
    before, after = _train(scaler, "fp16", steps=steps)
    expected = before - steps * LR * TINY * BATCH  # SGD: W -= lr * TINY * B, every step
    torch.testing.assert_close(after, expected, rtol=0, atol=1e-6)
    assert math.isfinite(scaler.get_scale()) and scaler.get_scale() == 65536.0  # no overflow, no skipped step


@pytest.mark.parametrize("amp", ["fp16", "none"])
def test_the_default_scaler_trains_like_full_precision(amp: str) -> None:
    before, after = _train(None, amp)
    torch.testing.assert_close(after - before, torch.full_like(before, -3 * LR * TINY * BATCH), rtol=1e-3, atol=0)


@pytest.mark.slow
def test_a_tiny_run_with_train_amp_fp16_steps_through_the_scaler(tiny_run: Callable[..., list[str]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from unreid.cli.train_run import run_training
    from unreid.config.loader import load_config
    from unreid.engine.run_log import read_metrics

    scales: list[float] = []  # the scale at each scaler step
    adam_steps: list[int] = []
    scaler_step, adam_step = torch.amp.GradScaler.step, torch.optim.Adam.step

    def spy_scaler(self: torch.amp.GradScaler, optimizer: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> Any:
        if self.is_enabled():
            scales.append(self.get_scale())
        return scaler_step(self, optimizer, *args, **kwargs)

    def spy_adam(self: torch.optim.Adam, *args: Any, **kwargs: Any) -> Any:
        adam_steps.append(1)
        return adam_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.amp.GradScaler, "step", spy_scaler)
    monkeypatch.setattr(torch.optim.Adam, "step", spy_adam)
    iterations = 8
    rows = read_metrics(run_training(load_config(overrides=tiny_run(
        "fp16", "train.amp=fp16", "train.epochs=1", f"train.iterations={iterations}")), progress=False).run_dir)
    assert len(scales) == iterations and scales[0] == 65536.0
    # every overflow halves the scale and skips Adam's step; every other step goes through
    halvings = sum(a != b for a, b in zip(scales, scales[1:], strict=False))
    assert all(b in (a, a / 2) for a, b in zip(scales, scales[1:], strict=False))
    assert len(adam_steps) >= iterations - 1 - halvings >= 1
    assert math.isfinite(rows[-1]["loss_total"])
