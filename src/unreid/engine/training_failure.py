"""The error a training run raises when it cannot go on (no clusters, a NaN loss)."""

from __future__ import annotations


class TrainingFailure(RuntimeError):
    """Training cannot continue; the message names the cause and the config key to change.

    Raised before anything of the failed epoch is written, so the run folder keeps the last
    good checkpoint.

    Attributes:
        epoch: the epoch that failed.
    """

    def __init__(self, message: str, *, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch
