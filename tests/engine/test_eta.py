"""The epoch clock: elapsed / epochs done x epochs left."""

from __future__ import annotations

import pytest

from unreid.engine import eta
from unreid.engine.eta import EpochClock


def test_remaining_time_is_mean_epoch_time_times_epochs_left(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(eta.time, "perf_counter", lambda: now[0])
    clock = EpochClock(first_epoch=2, total_epochs=12)  # resumed at epoch 2
    now[0] = 130.0  # epochs 2, 3, 4 took 30 s
    assert clock.remaining_s(finished_epoch=4) == pytest.approx(70.0)  # 10 s x 7 epochs left
    assert clock.line(finished_epoch=4) == "epoch 5/12, elapsed 0m30s, ETA 1m10s"
    now[0] = 100.0 + 3 * 3600
    assert clock.line(finished_epoch=11).endswith("ETA 0m00s") and "3h00m00s" in clock.line(finished_epoch=11)
