"""Optimizers and learning-rate schedules are found by name; ones registered outside the package train."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, StepLR

from tiny_trainer import tiny_trainer
from unreid.config.loader import load_config
from unreid.config.schema import TrainConfig
from unreid.config.validation import config_problems
from unreid.engine.lr_schedulers import SCHEDULERS, build_scheduler
from unreid.engine.optimizers import OPTIMIZERS, build_optimizer, register_optimizer
from unreid.engine.resume_settings import apply_resumed_settings

made: list[str] = []


def plain_sgd(params: list[nn.Parameter], *, train: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    made.append("sgd")
    return torch.optim.SGD(params, lr=train.lr, momentum=0.9, weight_decay=train.weight_decay)


def halving(optimizer: torch.optim.Optimizer, *, train: TrainConfig) -> LRScheduler:
    made.append("halving")
    return LambdaLR(optimizer, lambda epoch: 0.5**epoch)


@pytest.fixture
def registered() -> Iterator[None]:
    made.clear()
    with OPTIMIZERS.temporarily("test_sgd", plain_sgd), SCHEDULERS.temporarily("test_halving", halving):
        yield


def test_the_defaults_are_adam_and_the_step_schedule() -> None:
    train = TrainConfig(lr=1e-3, weight_decay=1e-4, lr_step=3, lr_gamma=0.5)
    params = [nn.Parameter(torch.zeros(2))]
    optimizer = build_optimizer(train.optimizer, params, train=train, device=torch.device("cpu"))
    assert type(optimizer) is torch.optim.Adam and optimizer.defaults["lr"] == 1e-3
    assert optimizer.defaults["weight_decay"] == 1e-4
    scheduler = build_scheduler(train.lr_scheduler, optimizer, train=train)
    assert isinstance(scheduler, StepLR) and (scheduler.step_size, scheduler.gamma) == (3, 0.5)


def test_the_cpu_adam_is_fused_and_steps_as_the_per_tensor_adam() -> None:
    train = TrainConfig(lr=1e-2, weight_decay=5e-4)
    torch.manual_seed(0)
    start = [torch.randn(3, 5), torch.randn(7)]
    fused_params = [nn.Parameter(t.clone()) for t in start]
    plain_params = [nn.Parameter(t.clone()) for t in start]
    fused = build_optimizer("adam", fused_params, train=train, device=torch.device("cpu"))
    plain = torch.optim.Adam(plain_params, lr=train.lr, weight_decay=train.weight_decay, foreach=False)
    assert fused.defaults["fused"] is True
    for step in range(5):
        for a, b in zip(fused_params, plain_params):
            grad = torch.randn(a.shape, generator=torch.Generator().manual_seed(step))
            a.grad, b.grad = grad.clone(), grad.clone()
        fused.step(), plain.step()
    for a, b in zip(fused_params, plain_params):
        assert torch.allclose(a, b, atol=1e-6) and not torch.equal(a, torch.zeros_like(a))


@pytest.mark.usefixtures("registered")
def test_an_optimizer_and_a_schedule_registered_outside_the_package_train_a_tiny_run() -> None:
    trainer = tiny_trainer(optimizer="test_sgd", lr_scheduler="test_halving", lr=0.01, epochs=2)
    assert type(trainer.optimizer) is torch.optim.SGD and isinstance(trainer.scheduler, LambdaLR)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    history = trainer.fit()
    assert made == ["sgd", "halving"]
    assert [row["lr"] for row in history] == [0.005, 0.0025]  # the rate after each epoch's step: halved
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))


@pytest.mark.usefixtures("registered")
def test_the_configuration_accepts_registered_names_only() -> None:
    config = load_config(overrides=["train.optimizer=test_sgd", "train.lr_scheduler=test_halving"])
    assert (config.train.optimizer, config.train.lr_scheduler) == ("test_sgd", "test_halving")
    problems = config_problems(load_config(overrides=["train.optimizer=lamb", "train.lr_scheduler=cosine"]))
    assert "train.optimizer='lamb': valid values are adam, test_sgd" in problems
    assert "train.lr_scheduler='cosine': valid values are step, test_halving" in problems


def test_an_unknown_name_lists_the_registered_ones() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match=r"^unknown optimizer 'lamb' \(train.optimizer\); registered: adam$"):
        build_optimizer("lamb", params, train=TrainConfig(), device=torch.device("cpu"))
    optimizer = torch.optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=r"^unknown learning-rate scheduler 'cosine' \(train.lr_scheduler\); "
                                         r"registered: step$"):
        build_scheduler("cosine", optimizer, train=TrainConfig())
    with pytest.raises(ValueError, match="optimizer 'adam' is already registered"):
        register_optimizer("adam")(plain_sgd)


def test_a_resumed_run_with_a_new_rate_scales_another_schedule() -> None:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=0.1)
    scheduler = halving(optimizer, train=TrainConfig())
    optimizer.step()
    scheduler.step()  # epoch 1: 0.05
    changes = apply_resumed_settings(optimizer=optimizer, scheduler=scheduler, lr=0.2, weight_decay=0.0,
                                     lr_step=20, lr_gamma=0.1)
    assert changes == ["train.lr: 0.1 -> 0.2"]  # lr_step and lr_gamma belong to the step schedule
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1) and scheduler.base_lrs == [0.2]
