"""Ramp the intra- and inter-class levels in after the clusters settle.

In the first epochs the pseudo-labels are poor, and the farthest member of a cluster
is most often a wrongly merged person: pulling queries towards it teaches the merge.
The ramp keeps the extra levels off until ``start`` and raises their weight linearly to
full over ``length`` epochs; the centroid level is never ramped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LevelRamp:
    """Scale of the intra and inter weights per epoch.

    Attributes:
        start: first epoch with a non-zero scale.
        length: epochs from the first non-zero scale to full weight (0: a step at ``start``).
    """

    start: int = 0
    length: int = 0

    def __post_init__(self) -> None:
        if self.start < 0 or self.length < 0:
            raise ValueError(f"LevelRamp(start={self.start}, length={self.length}): both must be >= 0")

    def scale(self, epoch: int) -> float:
        """0 before ``start``, then ``(epoch - start + 1) / (length + 1)`` up to 1."""
        if epoch < self.start:
            return 0.0
        return min(1.0, (epoch - self.start + 1) / (self.length + 1))
