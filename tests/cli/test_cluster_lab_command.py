"""``unreid cluster-lab`` on features saved the way train.save_features and ``unreid extract`` save them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unreid.cli.main import main
from unreid.data.records import Record
from unreid.engine.feature_dump import load_epoch_features, save_epoch_features
from unreid.retrieval.feature_file import save_features


def _saved(tmp_path: Path) -> Path:
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(8, 16, generator=gen)
    ids = torch.arange(96) % 8
    feats = F.normalize(centres[ids] + 0.3 * torch.randn(96, 16, generator=gen), dim=1)
    records = [Record(Path(f"/data/{i:04d}_c{i % 3}.jpg"), int(ids[i]), i % 3) for i in range(96)]
    return save_epoch_features(run_dir=tmp_path, epoch=3, features=feats, records=records)


def test_round_trip_is_float16_with_records(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    assert path.name == "epoch_003.npy"
    features, records = load_epoch_features(path)
    assert features.dtype == np.float16 and features.shape == (96, 16)
    assert records[5] == Record(Path("/data/0005_c2.jpg"), 5, 2)


def test_sweep_prints_one_line_per_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _saved(tmp_path)
    plot, table = tmp_path / "lab.png", tmp_path / "lab.csv"
    assert main(["cluster-lab", str(path), "--k1", "10", "--eps", "0.4", "0.6", "--min-samples", "2", "4",
                 "--plot", str(plot), "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    assert "8 true identities" in out and "4 settings" in out
    assert plot.stat().st_size > 0 and len(table.read_text().splitlines()) == 5


def test_infomap_sweep_on_extracted_features(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    features, records = load_epoch_features(_saved(tmp_path))
    extracted = save_features(tmp_path / "feats.npy", features=features.astype(np.float32), records=records,
                              fingerprint=None)
    table = tmp_path / "lab.csv"
    assert main(["cluster-lab", str(extracted), "--k1", "10", "--eps", "0.5", "--infomap-k", "5", "10",
                 "--infomap-min-similarity", "0.5", "--csv", str(table)]) == 0
    out = capsys.readouterr().out
    assert "8 true identities" in out and "cluster.algorithm=infomap:" in out and "3 settings" in out
    header, *lines = table.read_text().splitlines()
    assert len(lines) == 3 and "min_similarity" in header and "eps" in header


def test_missing_file_names_the_option(tmp_path: Path) -> None:
    assert main(["cluster-lab", str(tmp_path / "nope.npy")]) == 2
