"""unreid.report.paired_differences: differences to the baseline by shared seed, mean ± std, the 2x rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from unreid.report.paired_differences import final_metrics, paired_table


def _grid(tmp_path: Path, write_run: Callable[..., Path]) -> Path:
    out = tmp_path / "out"
    for name, maps in {"centroid": [0.20, 0.25, 0.30], "levels": [0.241, 0.288, 0.331],
                       "teacher": [0.213, 0.241, 0.297]}.items():
        for seed, value in enumerate(maps):
            write_run(out / f"{name}_s{seed}", final={"mAP": value, "R1": value + 0.1}, seed=seed)
    write_run(out / "hhcl_s0", final={"mAP": 0.204, "R1": 0.304})
    write_run(out / "hhcl_s1", rows=[{"epoch": 0}])  # unfinished: not paired
    write_run(out / "solo_s7", final={"mAP": 0.5, "R1": 0.5})  # no shared seed: no row
    return out


def test_differences_are_paired_by_seed(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    lines = paired_table(final_metrics(_grid(tmp_path, write_run)), baseline="centroid")
    assert lines[0] == "| variant - centroid | seeds | per seed mAP | mAP diff | R1 diff | a gain (> 2 x paired std)? |"
    # levels: +4.1, +3.8, +3.1 -> mean 3.67, std 0.51: a gain; teacher: +1.3, -0.9, -0.3 -> 0.03 ± 1.14: not one
    assert lines[2:] == [
        "| hhcl | 1 | s0 +0.4 | +0.4 ± 0.0 | +0.4 ± 0.0 | one seed |",
        "| levels | 3 | s0 +4.1, s1 +3.8, s2 +3.1 | +3.7 ± 0.5 | +3.7 ± 0.5 | yes |",
        "| teacher | 3 | s0 +1.3, s1 -0.9, s2 -0.3 | +0.0 ± 1.1 | +0.0 ± 1.1 | no |",
    ]


def test_missing_baseline_is_named(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    lines = paired_table(final_metrics(_grid(tmp_path, write_run)), baseline="recipe")
    assert lines == ["(no finished runs of the baseline 'recipe'; variants: centroid, hhcl, levels, solo, teacher)"]
