"""scripts/variant_curves.py: run folders grouped by variant across OUT folders, values by epoch, and a plot."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "variant_curves.py"
spec = importlib.util.spec_from_file_location("variant_curves", SCRIPT)
assert spec is not None and spec.loader is not None
variant_curves = importlib.util.module_from_spec(spec)
spec.loader.exec_module(variant_curves)


def _run(folder: Path, rows: list[dict[str, float]]) -> None:
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _grid(tmp_path: Path) -> list[Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    _run(a / "centroid_s0", [{"epoch": 0, "clusters": 300}, {"epoch": 1, "clusters": 400, "mAP": 0.2}])
    _run(b / "centroid_s1", [{"epoch": 0, "clusters": 320}, {"epoch": 1, "clusters": 420, "mAP": 0.3}])
    _run(a / "three_levels_s0", [{"epoch": 0, "clusters": 500}])
    (a / "three_levels_s1").mkdir()  # not started: no metrics.jsonl
    (a / "notes").mkdir()  # not a run folder
    return [a, b]


def test_runs_are_grouped_by_variant_across_folders(tmp_path: Path) -> None:
    runs = variant_curves.find_runs(_grid(tmp_path))
    assert sorted(runs) == ["centroid", "three_levels"]
    assert [run.name for run in runs["centroid"]] == ["centroid_s0", "centroid_s1"]
    assert [run.name for run in runs["three_levels"]] == ["three_levels_s0"]


def test_values_by_epoch_keep_every_seed_and_only_logged_epochs(tmp_path: Path) -> None:
    runs = variant_curves.find_runs(_grid(tmp_path))
    assert variant_curves.by_epoch(runs["centroid"], "clusters") == {0: [300.0, 320.0], 1: [400.0, 420.0]}
    maps = variant_curves.by_epoch(runs["centroid"], "mAP", scale=100.0)
    assert list(maps) == [1] and maps[1] == [20.0, 30.0]


def test_the_script_draws_a_plot_and_names_missing_variants(tmp_path: Path) -> None:
    dirs = [str(d) for d in _grid(tmp_path)]
    png = tmp_path / "curves.png"
    done = subprocess.run([sys.executable, str(SCRIPT), str(png), *dirs, "--variants", "centroid", "--people", "501"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert png.stat().st_size > 1000 and "centroid x2" in done.stdout
    missing = subprocess.run([sys.executable, str(SCRIPT), str(png), *dirs, "--variants", "teacher"],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "teacher" in missing.stderr
