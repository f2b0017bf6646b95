"""unreid.report.variant_summary: mean ± std per variant over seeds, finished runs only unless partial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from unreid.report.variant_summary import HEADER, summary_table


def _grid(tmp_path: Path, write_run: Callable[..., Path]) -> Path:
    out = tmp_path / "out"
    for seed, (m0, m1, clusters) in enumerate([(0.20, 0.30, 100), (0.40, 0.35, 110)]):
        rows = [{"epoch": 0, "mAP": m0, "R1": 2 * m0, "clusters": 90},
                {"epoch": 1, "mAP": m1, "R1": 2 * m1, "clusters": clusters, "pl_precision": 0.5, "pl_recall": 0.25}]
        write_run(out / f"centroid_s{seed}", rows=rows, final={"mAP": m1, "R1": 2 * m1})
    write_run(out / "teacher_s0", rows=[{"epoch": 0, "mAP": 0.1, "R1": 0.2, "clusters": 50}])  # unfinished
    return out


def test_mean_and_std_over_seeds(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    lines = summary_table(_grid(tmp_path, write_run))
    # final mAP 30, 35: mean 32.5, std 3.54; R1 60, 70; best 30 (s0), 40 (s1): 35 ± 7.07;
    # best - final 0, 5: 2.5 ± 3.54; clusters 100, 110: 105 ± 7
    assert lines == [*HEADER, "| centroid | 2 | 2 | 32.5 ± 3.5 | 65.0 ± 7.1 | 35.0 ± 7.1 | 2.5 ± 3.5 | 105 ± 7 "
                              "| 0.50 ± 0.00 | 0.25 ± 0.00 |"]


def test_partial_takes_unfinished_runs_at_their_last_evaluated_epoch(tmp_path: Path,
                                                                      write_run: Callable[..., Path]) -> None:
    lines = summary_table(_grid(tmp_path, write_run), partial=True)
    assert lines[-1] == ("| teacher | 1 | 1 | 10.0 ± 0.0 | 20.0 ± 0.0 | 10.0 ± 0.0 | 0.0 ± 0.0 | 50 ± 0 "
                         "| nan ± 0.00 | nan ± 0.00 |")
