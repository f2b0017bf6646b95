"""Time left in a run, from the mean duration of the epochs finished so far."""

from __future__ import annotations

import time


class EpochClock:
    """Estimates the remaining wall time of ``total_epochs`` epochs starting at ``first_epoch``.

    Args:
        first_epoch: the epoch this process starts at (``> 0`` after a resume).
        total_epochs: the run's number of epochs.
    """

    def __init__(self, *, first_epoch: int, total_epochs: int) -> None:
        self.first_epoch = first_epoch
        self.total_epochs = total_epochs
        self.start = time.perf_counter()

    def remaining_s(self, *, finished_epoch: int) -> float:
        """Seconds left after ``finished_epoch`` completed (mean epoch time x epochs left)."""
        done = finished_epoch + 1 - self.first_epoch
        left = self.total_epochs - finished_epoch - 1
        return (time.perf_counter() - self.start) / max(done, 1) * max(left, 0)

    def line(self, *, finished_epoch: int) -> str:
        """``"epoch 3/12, elapsed 4m05s, ETA 12m20s"``."""
        elapsed = time.perf_counter() - self.start
        return (f"epoch {finished_epoch + 1}/{self.total_epochs}, elapsed {_clock(elapsed)}, "
                f"ETA {_clock(self.remaining_s(finished_epoch=finished_epoch))}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
