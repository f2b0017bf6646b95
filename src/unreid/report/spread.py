"""Mean ± sample standard deviation over seeds, and the rule a paired difference must pass to count as a gain."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

GAIN_FACTOR = 2.0
"""A paired mean difference is a gain when it exceeds this many paired standard deviations."""


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``n - 1``; 0 for a single value)."""
    if not values:
        raise ValueError("mean_std needs at least one value")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, 0.0
    # by hand: statistics.stdev raises AttributeError on NaN (a run without pseudo-label quality) in Python 3.11
    return mean, math.sqrt(sum((value - mean) ** 2 for value in values) / (len(values) - 1))


def format_mean_std(values: Sequence[float], *, digits: int = 1, signed: bool = False) -> str:
    """``"mean ± std"`` with ``digits`` decimals (``signed``: a leading ``+`` on the mean)."""
    mean, std = mean_std(values)
    return f"{mean:{'+' if signed else ''}.{digits}f} ± {std:.{digits}f}"


def gain_verdict(differences: Sequence[float]) -> str:
    """``"yes"`` where the mean paired difference exceeds :data:`GAIN_FACTOR` times its std over at
    least two seeds, ``"no"`` otherwise, ``"one seed"`` where there is no spread to judge by."""
    if len(differences) < 2:
        return "one seed"
    mean, std = mean_std(differences)
    return "yes" if mean > GAIN_FACTOR * std else "no"
