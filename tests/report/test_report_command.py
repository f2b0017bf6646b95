"""``unreid report``: each kind end to end on tiny run folders, printed lines, --append, --plot, clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from unreid.cli.main import main


@pytest.fixture
def out(tmp_path: Path, write_run: Callable[..., Path]) -> Path:
    folder = tmp_path / "out"
    for name, maps in {"centroid": [0.20, 0.25], "levels": [0.24, 0.29]}.items():
        for seed, value in enumerate(maps):
            rows = [{"epoch": 0, "mAP": value / 2, "R1": value, "clusters": 10, "lf_score": 0.1},
                    {"epoch": 1, "mAP": value, "R1": value + 0.1, "clusters": 12, "lf_score": 0.2}]
            write_run(folder / f"{name}_s{seed}", rows=rows, final={"mAP": value, "R1": value + 0.1}, seed=seed)
    return folder


def test_summary_and_paired_print_and_append(out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "RESULTS.md"
    assert main(["report", "summary", str(out), "--append", str(results), "--note", "tiny"]) == 0
    assert "| levels | 2 | 2 | 26.5 ± 3.5 |" in capsys.readouterr().out
    assert main(["report", "paired", str(out), "--baseline", "centroid", "--append", str(results)]) == 0
    printed = capsys.readouterr().out
    assert "| levels | 2 | s0 +4.0, s1 +4.0 | +4.0 ± 0.0 | +4.0 ± 0.0 | yes |" in printed
    text = results.read_text()
    assert ": tiny" in text and "Paired by seed (final epoch):" in text and "| levels | 2 | s0 +4.0" in text


def test_table_and_selection(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "table", str(out / "centroid_s0"), str(out / "levels_s1" / "results.json")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("| date | run |") and len(printed) == 4 and "| levels_s1 |" in printed[3]
    assert main(["report", "selection", str(out / "centroid_s0")]) == 0
    assert "kept - best: mean +0.00, worst +0.00 over 1 runs" in capsys.readouterr().out


def test_plots_are_drawn_and_not_overwritten(out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "curves.png"
    assert main(["report", "curves", str(out), "--plot", str(png), "--variants", "levels", "--people", "20"]) == 0
    assert png.stat().st_size > 1000 and "levels x2" in capsys.readouterr().out
    assert main(["report", "curves", str(out), "--plot", str(png)]) == 2  # exists: needs --overwrite
    assert main(["report", "curves", str(out), "--plot", str(png), "--overwrite"]) == 0
    sel = tmp_path / "selection.png"
    assert main(["report", "selection", str(out / "levels_s0"), str(out / "levels_s1"), "--plot", str(sel)]) == 0
    assert sel.stat().st_size > 1000


def test_bad_input_is_one_clear_error(out: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert main(["report", "curves", str(out), "--plot", str(tmp_path / "c.png"), "--variants", "teacher"]) == 2
    assert "teacher" in caplog.text and "variants found: centroid, levels" in caplog.text
    assert main(["report", "summary", str(tmp_path / "missing")]) == 2
    assert "missing: no such folder" in caplog.text
    assert not (tmp_path / "c.png").exists()
