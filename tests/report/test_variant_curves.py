"""unreid.report.variant_curves: values by epoch over seeds across OUT folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from unreid.report.run_folders import find_runs
from unreid.report.variant_curves import by_epoch


def test_values_by_epoch_keep_every_seed_and_only_logged_epochs(tmp_path: Path,
                                                                write_run: Callable[..., Path]) -> None:
    write_run(tmp_path / "a" / "centroid_s0", rows=[{"epoch": 0, "clusters": 300},
                                                    {"epoch": 1, "clusters": 400, "mAP": 0.2}])
    write_run(tmp_path / "b" / "centroid_s1", rows=[{"epoch": 0, "clusters": 320},
                                                    {"epoch": 1, "clusters": 420, "mAP": 0.3}])
    runs = find_runs([tmp_path / "a", tmp_path / "b"])["centroid"]
    assert by_epoch(runs, "clusters") == {0: [300.0, 320.0], 1: [400.0, 420.0]}
    maps = by_epoch(runs, "mAP", scale=100.0)
    assert list(maps) == [1] and maps[1] == [20.0, 30.0]
