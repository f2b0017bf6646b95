"""Same-seed runs are bit-identical with two CPU threads (the machine's full count on 2-core CI)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.engine.run_log import read_metrics


def _run(tmp_path: Path, name: str) -> tuple[list[dict[str, float]], dict[str, torch.Tensor]]:
    overrides = [
        f"output_dir={tmp_path / name}", "data.dataset=synthetic", f"data.root={tmp_path / 'synthetic'}",
        "data.synthetic_identities=24", "data.height=32", "data.width=16", "model.backbone=resnet10t",
        "model.samples_per_bn=16", "cluster.k1=8", "cluster.k2=3", "cluster.min_samples=2", "cluster.eps=0.45",
        # K=4 with clusters of 2-3 images: images drawn twice into a batch, the case that raced
        "train.epochs=2", "train.iterations=3", "train.num_identities=4", "train.num_instances=4",
        "train.device=cpu", "train.amp=none", "train.channels_last=true", "train.eval_every=1", "train.threads=2",
        "eval.batch_size=64", "eval.grid_queries=2", "generator.enabled=true", "generator.kind=color",
    ]
    run_training(load_config(overrides=overrides), progress=False)
    rows = [{k: v for k, v in r.items() if not k.startswith("time_")} for r in read_metrics(tmp_path / name)]
    weights = torch.load(tmp_path / name / "model.pth", map_location="cpu", weights_only=False)["model"]
    return rows, weights


@pytest.mark.slow
def test_two_thread_reruns_are_bit_identical(tmp_path: Path) -> None:
    first_rows, first_weights = _run(tmp_path, "first")
    second_rows, second_weights = _run(tmp_path, "second")
    assert first_rows == second_rows
    assert first_weights.keys() == second_weights.keys()
    assert all(torch.equal(first_weights[k], second_weights[k]) for k in first_weights)
