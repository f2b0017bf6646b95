"""Every accuracy option of the trainer runs end to end and logs its diagnostics (one tiny epoch each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from unreid.config.loader import load_config
from unreid.cli.train_run import run_training
from unreid.engine.run_log import read_metrics


def _tiny(tmp_path: Path, name: str) -> list[str]:
    return [
        f"output_dir={tmp_path / name}",
        "data.dataset=synthetic", f"data.root={tmp_path / 'synthetic'}", "data.synthetic_identities=24",
        "data.height=32", "data.width=16", "model.backbone=resnet10t", "model.samples_per_bn=16",
        "cluster.k1=8", "cluster.k2=3", "cluster.min_samples=2", "cluster.eps=0.45",
        "train.epochs=2", "train.iterations=2", "train.num_identities=4", "train.num_instances=4",
        "train.device=cpu", "train.amp=none", "train.channels_last=false", "train.eval_every=1",
        "eval.batch_size=64", "eval.grid_queries=2", "generator.enabled=false",
    ]


@pytest.mark.slow
def test_all_options_together(tmp_path: Path) -> None:
    options = [
        "train.save_features=true", "train.camera_aware=true", "cluster.camera_centering=true",
        "cluster.eps_policy=auto", "cluster.auto_rho=0.02", "loss.intra_mode=centroid", "loss.inter_mode=query",
        "loss.positive_pool=core", "loss.ramp_start=1", "loss.ramp_epochs=0",
    ]
    run_training(load_config(overrides=_tiny(tmp_path, "all") + options), progress=False)
    rows = read_metrics(tmp_path / "all")
    assert [r["level_scale"] for r in rows] == [0.0, 1.0]
    for row in rows:
        assert 0 < row["eps"] < 1 and row["size_max"] >= row["size_median"] > 0
        assert 0.0 <= row["pl_false_merge_same_camera"] <= 1.0 and "mAP" in row
    features = np.load(tmp_path / "all" / "features" / "epoch_001.npy")
    assert features.dtype == np.float16 and (tmp_path / "all" / "features" / "records.tsv").is_file()


@pytest.mark.slow
def test_same_seed_runs_are_bit_identical(tmp_path: Path) -> None:
    histories = []
    for name in ("first", "second"):
        run_training(load_config(overrides=_tiny(tmp_path, name) + ["loss.positive_pool=batch"]), progress=False)
        histories.append([{k: v for k, v in r.items() if not k.startswith("time_")} for r in read_metrics(tmp_path / name)])
    assert histories[0] == histories[1]
