"""How one configuration option is declared: default, help text and allowed range, in one place.

A field of a section dataclass is declared with :func:`option`; its type annotation gives
the type (``bool``, ``int``, ``float``, ``str`` or an ``Enum`` for a choice), and the
metadata carries the help text and the range. The loader coerces values by the
annotation, the validator checks the range, and ``unreid config`` prints the help, so an
option is defined once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Range:
    """An allowed interval ``[low, high]`` (either end may be open or absent)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def describe(self, *, integer: bool) -> str:
        if integer and self.high is None and self.low is not None:
            return f"an integer >= {int(self.low)}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        low = "-inf" if self.low is None else f"{float(self.low)}"
        high = "inf" if self.high is None else f"{float(self.high)}"
        return f"{'an integer' if integer else 'a number'} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class OptionInfo:
    """What :func:`option` stores in a field's metadata."""

    help: str
    range: Range | None = None
    choices: Callable[[], tuple[str, ...]] | None = None  # for str options whose choices live elsewhere


def option(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: Callable[[], tuple[str, ...]] | None = None,
) -> Any:
    """A dataclass field with its help text and allowed range (``low``/``high``, inclusive unless ``*_open``)."""
    bounds = Range(low, high, low_open, high_open) if low is not None or high is not None else None
    return field(default=default, metadata={"option": OptionInfo(help=help, range=bounds, choices=choices)})


def option_info(f: Any) -> OptionInfo | None:
    """The :class:`OptionInfo` of a dataclass field, if it was declared with :func:`option`."""
    info = f.metadata.get("option")
    return info if isinstance(info, OptionInfo) else None
