"""Weights below 1e-20 are zeroed after every step: closed form, and in a tiny training run."""

from __future__ import annotations

import torch

from tiny_trainer import tiny_trainer
from unreid.engine.negligible_weights import NEGLIGIBLE, zero_negligible_weights


def test_entries_below_the_bound_become_zero_and_the_rest_stay() -> None:
    weight = torch.nn.Parameter(torch.tensor([1e-25, -1e-21, 1e-19, -0.5, 0.0, 3e-39]))
    counts = torch.nn.Parameter(torch.tensor([1.0]))
    zero_negligible_weights(torch.optim.SGD([weight, counts], lr=0.1))
    assert weight.tolist() == [0.0, 0.0, torch.tensor(1e-19).item(), -0.5, 0.0, 0.0] and counts.item() == 1.0
    assert NEGLIGIBLE == 1e-20


def test_training_steps_leave_no_negligible_weight() -> None:
    trainer = tiny_trainer(lr=1e-30, weight_decay=0.0)  # Adam moves a weight by about lr: 1e-25 would stay 1e-25
    params = [p for p in trainer.model.parameters() if p.is_floating_point()]
    with torch.no_grad():
        params[0].view(-1)[:5] = 1e-25
    trainer.fit()
    assert not any(bool(((p.abs() > 0) & (p.abs() < NEGLIGIBLE)).any()) for p in params)
    assert (params[0].view(-1)[:5] == 0).all()
