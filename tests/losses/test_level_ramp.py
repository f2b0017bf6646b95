"""The intra/inter ramp's closed form."""

from __future__ import annotations

import pytest

from unreid.losses.level_ramp import LevelRamp


def test_default_is_always_full() -> None:
    assert [LevelRamp().scale(e) for e in range(3)] == [1.0, 1.0, 1.0]


def test_linear_ramp_after_start() -> None:
    ramp = LevelRamp(start=2, length=3)
    assert [ramp.scale(e) for e in range(7)] == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1, 1])


def test_negative_values_refused() -> None:
    with pytest.raises(ValueError, match="start"):
        LevelRamp(start=-1)
