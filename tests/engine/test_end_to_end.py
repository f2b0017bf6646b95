"""A tiny end-to-end run: synthetic data on disk -> 5 epochs (about 30 s on 2 cores) -> mAP above the untrained model's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiny_settings import TINY_SETTINGS, as_overrides
from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.engine.run_log import read_metrics


def _tiny_config(tmp_path: Path, epochs: int) -> list[str]:
    """The tiny settings, larger (40 identities at 64x32, 10 steps an epoch) so that mAP can rise, generator on."""
    return [f"output_dir={tmp_path / 'run'}", f"data.root={tmp_path / 'synthetic'}", *as_overrides({
        **TINY_SETTINGS, "data.synthetic_identities": 40, "data.height": 64, "data.width": 32, "cluster.k1": 10,
        "cluster.k2": 3, "cluster.eps": 0.45, "train.epochs": epochs, "train.iterations": 10,
        "train.num_instances": 8, "eval.grid_queries": 3, "generator.enabled": True})]


@pytest.mark.slow
def test_five_epochs_improve_map_and_write_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(overrides=_tiny_config(tmp_path, epochs=5))
    outcome = run_training(config, progress=False)
    assert outcome.after["mAP"] > outcome.before["mAP"]
    run = tmp_path / "run"
    for name in ("config.yaml", "last.pth", "model.pth", "metrics.jsonl", "training_curves.png",
                 "ranked_lists_after.png", "generated_examples.png", "results.json"):
        assert (run / name).is_file(), name
    rows = read_metrics(run)
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3, 4]
    assert all(r["clusters"] >= 2 and "loss_centroid" in r and "loss_intra" in r and "loss_inter" in r for r in rows)
    assert "pl_nmi" in rows[0]  # synthetic ground truth is known: pseudo-label quality is reported
    assert json.loads((run / "results.json").read_text())["after"]["mAP"] == outcome.after["mAP"]

    # `unreid evaluate` on the checkpoint reproduces the run's final figures
    from unreid.cli.main import main

    capsys.readouterr()
    assert main(["evaluate", str(run / "model.pth"), "--grid", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").is_file()
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["mAP"] == pytest.approx(100 * outcome.after["mAP"], abs=0.05)


@pytest.mark.slow
def test_resume_continues_after_last_finished_epoch(tmp_path: Path) -> None:
    run_training(load_config(overrides=_tiny_config(tmp_path, epochs=1) + ["generator.enabled=false"]), progress=False)
    resumed = run_training(
        load_config(overrides=_tiny_config(tmp_path, epochs=2) + ["generator.enabled=false"]), resume=True, progress=False
    )
    assert [r["epoch"] for r in resumed.history] == [0, 1]
    assert [r["epoch"] for r in read_metrics(tmp_path / "run")] == [0, 1]
