"""What an epoch hook sees of the trainer: a narrow, read-only :class:`typing.Protocol`.

Hooks type their ``trainer`` argument with :class:`TrainerView` instead of importing
:class:`~unreid.engine.unsupervised_trainer.UnsupervisedTrainer`, so the trainer imports the
hooks and nothing imports back; a hook can be tested against any object with these members.
"""

from __future__ import annotations

from typing import Any, Protocol

from torch import nn


class TrainerView(Protocol):
    """The members of the trainer that hooks read (``UnsupervisedTrainer`` has them all)."""

    @property
    def epochs(self) -> int:
        """The number of epochs of the whole run."""

    @property
    def start_epoch(self) -> int:
        """The first epoch of this process (``> 0`` when resuming)."""

    @property
    def epoch(self) -> int:
        """The current epoch (``-1`` before the first)."""

    @property
    def history(self) -> list[dict[str, Any]]:
        """One metrics row per finished epoch."""

    @property
    def failure(self) -> BaseException | None:
        """The error that ended training early, seen by ``after_training``; ``None`` otherwise."""

    @property
    def inference_model(self) -> nn.Module:
        """The model that is clustered, evaluated and saved (the mean teacher, if on)."""

    def state_dict(self) -> dict[str, Any]:
        """Everything ``--resume`` needs to continue after the current epoch."""
