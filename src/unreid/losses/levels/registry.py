"""The loss levels by name: each one InfoNCE term over the cluster memory, in one module of its own.

A level turns the call's :class:`~unreid.losses.levels.inputs.LevelInputs` into ``[B, C]``
logits (before the temperature) whose target is the query's own cluster;
:class:`~unreid.losses.multilevel_contrastive.MultiLevelContrastiveLoss` takes the
cross-entropy of every level with a non-zero weight and sums them in registration order.
Everything that names the levels (the log line, the plots, ``generator.levels``, the
results table) reads :func:`level_names`, so a new level is one module with a function
decorated by :func:`register_level`, imported by :mod:`unreid.losses.levels`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import Tensor

from unreid.registry import Registry

if TYPE_CHECKING:
    from unreid.config.schema import LossConfig
    from unreid.losses.levels.inputs import LevelInputs

logger = logging.getLogger(__name__)

LevelLogits = Callable[["LevelInputs"], Tensor]


def _weight_one(loss: LossConfig) -> float:
    return 1.0


@dataclass(frozen=True)
class LossLevel:
    """One registered level.

    Attributes:
        name: its registry name (also the ``loss_<name>`` column of ``metrics.jsonl``).
        logits: ``inputs -> [B, C]`` similarities, the own cluster's column holding the positive.
        ramped: its weight follows the level ramp (``loss.ramp_start``, ``loss.ramp_epochs``).
        config_weight: its weight given the ``loss`` section (``0``: off).
    """

    name: str
    logits: LevelLogits
    ramped: bool = False
    config_weight: Callable[[LossConfig], float] = _weight_one


LEVELS: Registry[LossLevel] = Registry("loss level")
"""Every loss level by name, in the order of the terms in the total."""


def register_level(name: str, *, ramped: bool = False,
                   config_weight: Callable[[LossConfig], float] = _weight_one) -> Callable[[LevelLogits], LevelLogits]:
    """Register the decorated ``logits`` function as the level ``name`` (see :class:`LossLevel`).

    A level registered without ``config_weight`` is on, at weight 1, in every loss made from
    the configuration while it is registered.
    """

    def add(logits: LevelLogits) -> LevelLogits:
        LEVELS.add(name, LossLevel(name=name, logits=logits, ramped=ramped, config_weight=config_weight))
        return logits

    return add


def level_names() -> tuple[str, ...]:
    """The registered levels, in the order of the terms in the total."""
    return LEVELS.names()


def level_weights(loss: LossConfig) -> dict[str, float]:
    """Each registered level's weight under the ``loss`` section (``0``: off)."""
    return {name: float(LEVELS[name].config_weight(loss)) for name in LEVELS}
