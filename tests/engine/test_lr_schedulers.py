"""``train.lr_gamma``: the step schedule multiplies the rate by it every ``train.lr_step`` epochs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unreid.config.schema import TrainConfig
from unreid.engine.lr_schedulers import build_scheduler
from unreid.engine.optimizers import build_optimizer


@pytest.mark.parametrize("gamma", [0.5, 0.1])
def test_the_rate_after_each_step_is_lr_times_lr_gamma(gamma: float) -> None:
    train = TrainConfig(lr=0.2, lr_step=2, lr_gamma=gamma)
    optimizer = build_optimizer(train.optimizer, [nn.Parameter(torch.zeros(2))], train=train, device=torch.device("cpu"))
    scheduler = build_scheduler(train.lr_scheduler, optimizer, train=train)
    rates = []
    for _ in range(5):  # epochs 0 .. 4, the schedule stepped after each
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.2, 0.2, 0.2 * gamma, 0.2 * gamma, 0.2 * gamma**2])
