"""best.pth by the label-free score, epoch_NNN.pth by train.keep_checkpoints, in a tiny run and in the hook alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

from tiny_settings import TINY_SETTINGS, as_overrides
from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.engine.model_selection import BEST, ModelSelectionHook, epoch_checkpoint_name
from unreid.engine.run_log import read_metrics
from unreid.io.safe_load import load_checkpoint


def _trainer(weight: float, start_epoch: int = 0) -> Any:
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(weight)
    return SimpleNamespace(inference_model=model, start_epoch=start_epoch)


def test_best_pth_follows_the_highest_score_and_keep_every_saves_every_nth(tmp_path: Path) -> None:
    hook = ModelSelectionHook(tmp_path, model_spec={}, keep_every=2)
    hook.before_training(_trainer(0.0))
    for epoch, score in enumerate([0.1, 0.3, 0.2, 0.25]):
        row: dict[str, Any] = {"epoch": epoch, "lf_score": score}
        hook.after_epoch(_trainer(float(epoch)), row)
        assert row["selected_epoch"] == (0 if epoch == 0 else 1)
    best = load_checkpoint(tmp_path / BEST)
    assert best["epoch"] == 1 and best["score"] == 0.3 and float(best["model"]["weight"]) == 1.0
    assert sorted(p.name for p in tmp_path.glob("epoch_*.pth")) == [epoch_checkpoint_name(1), epoch_checkpoint_name(3)]
    # a resumed run competes against the best.pth it has: a lower score does not replace it
    resumed = ModelSelectionHook(tmp_path, model_spec={})
    resumed.before_training(_trainer(0.0, start_epoch=4))
    resumed.after_epoch(_trainer(4.0), {"epoch": 4, "lf_score": 0.29})
    assert load_checkpoint(tmp_path / BEST)["epoch"] == 1
    resumed.after_epoch(_trainer(5.0), {"epoch": 5, "lf_score": 0.31})
    assert load_checkpoint(tmp_path / BEST)["epoch"] == 5
    resumed.after_epoch(_trainer(6.0), {"epoch": 6, "lf_score": 0.31})  # a tie goes to the later epoch
    assert load_checkpoint(tmp_path / BEST)["epoch"] == 6


def test_no_score_no_best(tmp_path: Path) -> None:
    hook = ModelSelectionHook(tmp_path, model_spec={})
    row: dict[str, Any] = {"epoch": 0}
    hook.after_epoch(_trainer(1.0), row)
    assert not (tmp_path / BEST).exists() and "selected_epoch" not in row


def test_a_tiny_run_logs_the_score_every_epoch_and_keeps_its_best_model(tmp_path: Path) -> None:
    overrides = [f"output_dir={tmp_path / 'run'}", f"data.root={tmp_path / 'synthetic'}",
                 *as_overrides({**TINY_SETTINGS, "train.epochs": 3, "train.keep_checkpoints": 3})]
    run_training(load_config(overrides=overrides), progress=False)
    rows = read_metrics(tmp_path / "run")
    assert all("lf_score" in r and "lf_cross_camera_clusters" in r for r in rows)
    best_epoch = max(rows, key=lambda r: (r["lf_score"], r["epoch"]))["epoch"]
    assert rows[-1]["selected_epoch"] == best_epoch
    assert load_checkpoint(tmp_path / "run" / BEST)["epoch"] == best_epoch
    assert (tmp_path / "run" / epoch_checkpoint_name(2)).is_file()
    assert not (tmp_path / "run" / epoch_checkpoint_name(1)).exists()


@pytest.mark.parametrize("centring", [False, True])
def test_label_free_labeller_reuses_the_scores_clustering_with_identical_results(tmp_path: Path, monkeypatch: Any,
                                                                                 centring: bool) -> None:
    """With the label-free settings, with or without per-camera centring, the next epoch's labels are the
    score's clustering (made once): the same run with the reuse switched off gives the same metrics, and the
    labels are not clustered twice."""
    from unreid.engine import pseudo_labeller

    calls: list[int] = []
    original = pseudo_labeller.ClusteringLabeller.__call__

    def counted(self: Any, features: torch.Tensor, records: list[Any], epoch: int) -> Any:
        calls.append(epoch)
        return original(self, features, records, epoch)

    monkeypatch.setattr(pseudo_labeller.ClusteringLabeller, "__call__", counted)
    settings = {**TINY_SETTINGS, "train.epochs": 3, "cluster.neighbours": "auto", "cluster.eps_policy": "cross_camera",
                "cluster.camera_centering": centring}

    def run(name: str) -> list[dict[str, Any]]:
        overrides = [f"output_dir={tmp_path / name}", f"data.root={tmp_path / 'synthetic'}", *as_overrides(settings)]
        run_training(load_config(overrides=overrides), progress=False)
        return [{k: v for k, v in r.items() if not k.startswith("time_") and k != "elapsed"}
                for r in read_metrics(tmp_path / name)]

    reused = run("reused")
    assert calls == [0, 1, 2, 3]  # epoch 0, then once per score (the last one labels no epoch)
    calls.clear()
    monkeypatch.setattr(pseudo_labeller.ClusteringLabeller, "clusters_like_label_free_score", False)
    separate = run("separate")
    assert calls == [0, 1, 2]
    assert reused == separate
