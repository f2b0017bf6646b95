"""unreid.report.results_table: one RESULTS.md row per finished run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from unreid.report.results_table import table_rows


def test_row_from_folder_or_results_file(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    run = write_run(tmp_path / "demo", final={"mAP": 0.249, "R1": 0.197, "R5": 0.522, "mINP": 0.159}, seed=3)
    row = ("| 2026-01-02 | demo | cpu | synthetic | resnet18 128x64 centroid+intra gen-none ep2x10 seed3 eps0.5 "
           "| 24.9 | 19.7 | 52.2 | 15.9 | 12 s | note |")
    assert table_rows([run], note="note", date="2026-01-02") == [row]
    assert table_rows([run / "results.json"], note="note", date="2026-01-02") == [row]


def test_unfinished_run_is_named(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    run = write_run(tmp_path / "x_s0", rows=[{"epoch": 0}])
    with pytest.raises(ValueError, match="x_s0/results.json: no such file"):
        table_rows([run])
