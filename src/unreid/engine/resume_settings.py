"""Settings changed on ``--resume`` take effect: the optimizer and scheduler states of a checkpoint carry the
learning rate, weight decay and step schedule of the run that wrote it, and would silently win otherwise."""

from __future__ import annotations

import logging

import torch
from torch.optim.lr_scheduler import LRScheduler, StepLR

logger = logging.getLogger(__name__)


def apply_resumed_settings(
    *, optimizer: torch.optim.Optimizer, scheduler: LRScheduler, lr: float,
    weight_decay: float, lr_step: int, lr_gamma: float,
) -> list[str]:
    """Put the configured optimizer settings into states just loaded from a checkpoint.

    Unchanged settings leave the states untouched (a resumed run equals an
    uninterrupted one bit for bit). A changed ``lr``, ``lr_step`` or ``lr_gamma`` sets
    each group's rate to ``lr * lr_gamma ** (epochs_done // lr_step)``: the schedule the
    run would have had with the new values from the start. ``lr_step`` and ``lr_gamma``
    belong to the ``step`` schedule; under another schedule a changed ``lr`` scales each
    group's current rate by ``new / old`` (exact for schedules that multiply the base rate).

    Returns:
        One ``train.key: old -> new`` line per changed setting (also logged as a warning).
    """
    changes = []
    saved_lr = float(scheduler.base_lrs[0])
    if saved_lr != lr:
        changes.append(f"train.lr: {saved_lr:g} -> {lr:g}")
        scheduler.base_lrs = [lr for _ in optimizer.param_groups]
        for group in optimizer.param_groups:
            group["initial_lr"] = lr
    if isinstance(scheduler, StepLR):
        changes += _step_changes(scheduler, lr_step=lr_step, lr_gamma=lr_gamma)
    if changes:
        if isinstance(scheduler, StepLR):
            rates = [base * lr_gamma ** (scheduler.last_epoch // lr_step) for base in scheduler.base_lrs]
        else:
            rates = [float(group["lr"]) * lr / saved_lr for group in optimizer.param_groups]
        for group, rate in zip(optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        scheduler._last_lr = list(rates)  # what get_last_lr() reports
    saved_decay = float(optimizer.param_groups[0]["weight_decay"])
    if saved_decay != weight_decay:
        changes.append(f"train.weight_decay: {saved_decay:g} -> {weight_decay:g}")
        for group in optimizer.param_groups:
            group["weight_decay"] = weight_decay
    if changes:
        logger.warning("--resume: %s; the new value(s) take effect from this epoch (learning rate now %g)",
                       ", ".join(changes), optimizer.param_groups[0]["lr"])
    return changes


def _step_changes(scheduler: StepLR, *, lr_step: int, lr_gamma: float) -> list[str]:
    """Set the ``step`` schedule's step and factor; one line per changed setting."""
    changes = []
    if scheduler.step_size != lr_step:
        changes.append(f"train.lr_step: {scheduler.step_size} -> {lr_step}")
        scheduler.step_size = lr_step
    if scheduler.gamma != lr_gamma:
        changes.append(f"train.lr_gamma: {scheduler.gamma:g} -> {lr_gamma:g}")
        scheduler.gamma = lr_gamma
    return changes
