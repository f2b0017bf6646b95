"""The oracle option: ground-truth identities as pseudo-labels, refused where identities are unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from unreid.cli.train_run import run_training
from unreid.clustering.oracle_labels import oracle_labels
from unreid.config.loader import load_config
from unreid.data.records import Record
from unreid.engine.run_log import read_metrics


def test_identities_numbered_in_order_of_appearance() -> None:
    records = [Record(Path(f"{i}.jpg"), pid, 0) for i, pid in enumerate([7, 3, 7, 0, 3])]
    result = oracle_labels(records)
    assert result.labels.tolist() == [0, 1, 0, 2, 1]
    assert (result.num_clusters, result.num_outliers) == (3, 0)
    assert result.core is not None and bool(result.core.all())


def test_unknown_identities_are_refused() -> None:
    records = [Record(Path("a.jpg"), 1, 0), Record(Path("b.jpg"), -1, 1)]
    with pytest.raises(ValueError, match="1 of 2 training images.*cluster.oracle=false"):
        oracle_labels(records)


def test_oracle_run_trains_on_perfect_labels(tmp_path: Path) -> None:
    overrides = [
        f"output_dir={tmp_path / 'oracle'}", "data.dataset=synthetic", f"data.root={tmp_path / 'synthetic'}",
        "data.synthetic_identities=12", "data.height=32", "data.width=16", "model.backbone=resnet10t",
        "model.samples_per_bn=0", "cluster.oracle=true", "train.epochs=1", "train.iterations=1",
        "train.num_identities=4", "train.num_instances=4", "train.device=cpu", "train.amp=none",
        "train.channels_last=false", "train.threads=1", "eval.batch_size=64", "eval.grid_queries=2",
        "generator.enabled=false",
    ]
    outcome = run_training(load_config(overrides=overrides), progress=False)
    [row] = read_metrics(outcome.run_dir)
    assert row["outliers"] == 0 and row["pl_precision"] == 1.0 and row["pl_recall"] == 1.0
    assert row["clusters"] == len({r.person_id for r in _train_records(tmp_path / "oracle")})


def _train_records(run_dir: Path) -> list[Record]:
    from unreid.cli.dataset_loading import load_training_split
    from unreid.config.loader import load_config as load

    return load_training_split(load(files=[run_dir / "config.yaml"])).train


def test_folder_without_identities_is_refused_before_training(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "crops"
    root.mkdir()
    for i in range(8):
        Image.new("RGB", (16, 32), (i * 30, 0, 0)).save(root / f"c{i % 2}_{i}.jpg")
    overrides = [f"output_dir={tmp_path / 'run'}", "data.dataset=folder", f"data.root={root}",
                 r"data.folder_pattern=c(?P<cam>\d+)_", "cluster.oracle=true", "cluster.min_samples=2",
                 "generator.enabled=false", "train.device=cpu"]
    with pytest.raises(ValueError, match="cluster.oracle=true needs ground-truth identities"):
        run_training(load_config(overrides=overrides), progress=False)
