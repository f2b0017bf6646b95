"""unreid.report.spread: mean ± sample std and the 2x-paired-spread gain rule, in closed form."""

from __future__ import annotations

import math

import pytest

from unreid.report.spread import format_mean_std, gain_verdict, mean_std


def test_mean_and_sample_std() -> None:
    mean, std = mean_std([1.0, 2.0, 6.0])  # mean 3; squared deviations 4 + 1 + 9 = 14; / (n - 1) = 7
    assert mean == pytest.approx(3.0) and std == pytest.approx(math.sqrt(7.0))
    assert mean_std([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError):
        mean_std([])


def test_format() -> None:
    assert format_mean_std([1.0, 2.0, 6.0]) == "3.0 ± 2.6"
    assert format_mean_std([1.0, 3.0], digits=2, signed=True) == "+2.00 ± 1.41"
    assert format_mean_std([-1.0, -3.0], signed=True) == "-2.0 ± 1.4"


@pytest.mark.parametrize(("diffs", "verdict"), [
    ([4.1, 3.8, 3.1], "yes"),   # mean 3.67, std 0.51: 3.67 > 1.03
    ([1.2, -0.9, -0.3], "no"),  # mean 0.0, std 1.08
    ([2.0, 4.0], "yes"),        # mean 3.0, std 1.414: 3.0 > 2.83
    ([1.0, 4.0], "no"),         # mean 2.5, std 2.12: 2.5 < 4.24
    ([-4.0, -4.1], "no"),       # a loss is never a gain
    ([9.0], "one seed"),
])
def test_gain_needs_the_mean_above_twice_the_paired_std(diffs: list[float], verdict: str) -> None:
    assert gain_verdict(diffs) == verdict


def test_missing_values_give_nan_not_an_error() -> None:
    mean, std = mean_std([float("nan"), float("nan")])
    assert math.isnan(mean) and math.isnan(std)
