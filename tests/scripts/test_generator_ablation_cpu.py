"""scripts/generator_ablation_cpu.sh end to end on the CPU with the tiny setting: it trains the learned
generator, renders one other camera per training image, trains the colour and learned variants, and a
second call resumes instead of starting over."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_settings import TINY_SETTINGS, as_overrides
from unreid.engine.run_log import read_metrics

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generator_ablation_cpu.sh"


def _ablation(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # without TINY_SETTINGS' generator.enabled=false, which would come after the variants' own and switch them off
    settings = {**{k: v for k, v in TINY_SETTINGS.items() if k != "generator.enabled"}, "model.pretrained": "",
                "train.epochs": 1}
    tiny = [arg for pair in as_overrides(settings) for arg in ("--set", pair)]
    env = {**os.environ, "PYTHON": sys.executable, "VARIANTS": "colour learned", "SEEDS": "0", "THREADS": "1",
           "GEN_STEPS": "2", "GEN_HEIGHT": "16", "GEN_WIDTH": "16", "RENDER_HEIGHT": "32", "RENDER_WIDTH": "16"}
    return subprocess.run(["bash", str(SCRIPT), str(tmp_path / "synthetic"), str(tmp_path / "out"), *tiny],
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_ablation_trains_renders_and_compares(tmp_path: Path) -> None:
    done = _ablation(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out"
    assert "generator: 2 steps" in (out / "generator_train.log").read_text()
    with open(out / "rendered_learned" / "manifest.csv", newline="") as f:
        rendered = list(csv.DictReader(f))
    train_images = 83  # TINY_SETTINGS' synthetic training split
    assert len(rendered) == train_images  # one other camera per training image
    assert all(row["target_camera"] != row["source_camera"] for row in rendered)
    assert all((out / "rendered_learned" / row["generated_path"]).is_file() for row in rendered[:5])
    losses = {}
    for name in ("colour", "learned"):
        results = json.loads((out / "grid" / f"{name}_s0" / "results.json").read_text())
        rows = read_metrics(out / "grid" / f"{name}_s0")
        assert results["after"]["mAP"] == rows[-1]["mAP"]  # the report is the run's last evaluation
        losses[name] = [row["loss_total"] for row in rows]
        assert (out / "grid" / f"{name}_s0" / "generated_examples.png").is_file()  # generated images took part
    assert losses["colour"] != losses["learned"]  # same seed: only the generated images differ, and they count
    learned_config = (out / "grid" / "learned_s0" / "config.yaml").read_text()
    assert str(out / "rendered_learned") in learned_config and "kind: learned" in learned_config
    assert "| colour |" in done.stdout and "| learned |" in done.stdout

    again = _ablation(tmp_path)  # everything is there: nothing is trained again
    assert again.returncode == 0, again.stdout + again.stderr
    assert "=== " not in again.stdout
    assert (out / "generator_train.log").read_text().count("generator.pth") == 1  # trained once
