"""A tiny end-to-end run: synthetic data on disk -> 2 epochs -> mAP above the untrained model's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unreid.cli.config import load_config
from unreid.cli.pipeline import run_training
from unreid.engine.run_log import read_metrics


def _tiny_config(tmp_path: Path, epochs: int) -> list[str]:
    return [
        f"output_dir={tmp_path / 'run'}",
        "data.dataset=synthetic", f"data.root={tmp_path / 'synthetic'}", "data.synthetic_identities=40",
        "data.height=64", "data.width=32",
        "model.backbone=resnet10t", "model.samples_per_bn=16",
        "cluster.k1=10", "cluster.k2=3", "cluster.min_samples=2",
        f"train.epochs={epochs}", "train.iterations=10", "train.num_identities=4", "train.num_instances=8",
        "train.device=cpu", "train.amp=none", "train.channels_last=false", "train.eval_every=1", "train.lr_step=10",
        "eval.batch_size=64", "eval.grid_queries=3",
    ]


@pytest.mark.slow
def test_two_epochs_improve_map_and_write_report(tmp_path: Path) -> None:
    config = load_config(overrides=_tiny_config(tmp_path, epochs=2))
    outcome = run_training(config, progress=False)
    assert outcome.after["mAP"] > outcome.before["mAP"]
    run = tmp_path / "run"
    for name in ("config.yaml", "last.pth", "model.pth", "metrics.jsonl", "training_curves.png",
                 "ranked_lists_after.png", "generated_examples.png", "results.json"):
        assert (run / name).is_file(), name
    rows = read_metrics(run)
    assert [r["epoch"] for r in rows] == [0, 1]
    assert all(r["clusters"] >= 2 and "loss_centroid" in r and "loss_intra" in r and "loss_inter" in r for r in rows)
    assert "pl_nmi" in rows[0]  # synthetic ground truth is known: pseudo-label quality is reported
    assert json.loads((run / "results.json").read_text())["after"]["mAP"] == outcome.after["mAP"]


@pytest.mark.slow
def test_resume_continues_after_last_finished_epoch(tmp_path: Path) -> None:
    run_training(load_config(overrides=_tiny_config(tmp_path, epochs=1) + ["generator.enabled=false"]), progress=False)
    resumed = run_training(
        load_config(overrides=_tiny_config(tmp_path, epochs=2) + ["generator.enabled=false"]), resume=True, progress=False
    )
    assert [r["epoch"] for r in resumed.history] == [0, 1]
    assert [r["epoch"] for r in read_metrics(tmp_path / "run")] == [0, 1]
