"""scripts/gpu_window.sh end to end on the CPU with the tiny setting: two variants, rows for both,
and the deadline skipping a run that cannot finish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import timm
import torch

from tiny_settings import TINY_SETTINGS, as_overrides

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_window.sh"


def _window(tmp_path: Path, *, variants: str, min_run_s: int) -> subprocess.CompletedProcess[str]:
    weights = tmp_path / "resnet10t.pth"
    if not weights.is_file():
        torch.save(timm.create_model("resnet10t", num_classes=0).state_dict(), weights)
    tiny = [arg for pair in as_overrides({**TINY_SETTINGS, "train.compile": False}) for arg in ("--set", pair)]
    env = {**os.environ, "PYTHON": sys.executable, "VARIANTS": variants, "EPOCHS": "1", "MIN_RUN_S": str(min_run_s),
           "WORK": str(tmp_path / "work")}
    return subprocess.run(["bash", str(SCRIPT), "run", str(tmp_path / "synthetic"), str(weights), str(tmp_path / "out"),
                           *tiny], env=env, capture_output=True, text=True, timeout=600)


def test_window_runs_each_variant_and_writes_rows(tmp_path: Path) -> None:
    done = _window(tmp_path, variants="default centroid", min_run_s=1)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = (tmp_path / "out" / "RESULTS.md").read_text()
    assert "| default | 1 |" in rows and "| centroid | 1 |" in rows
    for name in ("default", "centroid"):
        assert (tmp_path / "out" / name / "metrics.jsonl").is_file()
        assert not list((tmp_path / "out" / name).glob("*.pth"))  # model files stay in WORK


def test_window_skips_runs_past_the_deadline(tmp_path: Path) -> None:
    done = _window(tmp_path, variants="default", min_run_s=10**6)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipping default" in done.stdout
    assert not (tmp_path / "out" / "RESULTS.md").exists()


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    done = _window(tmp_path, variants="no_such_variant", min_run_s=1)
    assert done.returncode == 2 and "unknown variant no_such_variant" in done.stdout
