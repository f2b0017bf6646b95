"""Learning-rate schedules by name (``train.lr_scheduler``), stepped once after every epoch.

The trainer asks :func:`build_scheduler` for ``train.lr_scheduler``; another schedule is one
module with a function decorated by :func:`register_scheduler` that wraps the optimizer in a
``torch.optim.lr_scheduler.LRScheduler``. ``step`` (the default) multiplies the rate by
``train.lr_gamma`` every ``train.lr_step`` epochs, as Cluster Contrast does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

import torch
from torch.optim.lr_scheduler import LRScheduler, StepLR

from unreid.registry import Registry

if TYPE_CHECKING:
    from unreid.config.schema import TrainConfig

logger = logging.getLogger(__name__)


class SchedulerFactory(Protocol):
    def __call__(self, optimizer: torch.optim.Optimizer, *, train: TrainConfig) -> LRScheduler:
        """A schedule of ``optimizer``'s rate over epochs, configured by ``train``."""


SCHEDULERS: Registry[SchedulerFactory] = Registry("learning-rate scheduler", option="train.lr_scheduler")
"""Every learning-rate schedule by name."""

register_scheduler = SCHEDULERS.register


@register_scheduler("step")
def step(optimizer: torch.optim.Optimizer, *, train: TrainConfig) -> LRScheduler:
    """``lr * lr_gamma ** (epoch // lr_step)``."""
    return StepLR(optimizer, step_size=train.lr_step, gamma=train.lr_gamma)


def build_scheduler(name: str, optimizer: torch.optim.Optimizer, *, train: TrainConfig) -> LRScheduler:
    """The schedule registered as ``name`` over ``optimizer``; ``ValueError`` lists the registered names."""
    return SCHEDULERS[name](optimizer, train=train)


def scheduler_names() -> tuple[str, ...]:
    """The names ``train.lr_scheduler`` accepts."""
    return SCHEDULERS.names()
