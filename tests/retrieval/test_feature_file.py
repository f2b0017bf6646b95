from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from unreid.data.records import Record
from unreid.retrieval.feature_file import load_features, records_path, save_features


@pytest.mark.parametrize("suffix", [".npy", ".safetensors"])
def test_roundtrip_with_records_beside(suffix: str, tmp_path: Path) -> None:
    features = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    records = [Record(Path(f"/x/{i}.jpg"), i, i + 1) for i in range(3)]
    path = save_features(tmp_path / f"feats{suffix}", features=features, records=records, fingerprint="f00d")
    assert records_path(path) == tmp_path / "feats.records.json"
    assert json.loads(records_path(path).read_text())["records"][2] == {"path": "/x/2.jpg", "person_id": 2,
                                                                         "camera": "c4", "camera_id": 3}
    loaded = load_features(path)
    assert np.array_equal(loaded.features, features) and loaded.records == records and loaded.fingerprint == "f00d"


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"feats.txt: feature files end in .npy or .safetensors"):
        save_features(tmp_path / "feats.txt", features=np.zeros((1, 2)), records=[], fingerprint=None)
    np.save(tmp_path / "lonely.npy", np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="lonely.records.json: missing"):
        load_features(tmp_path / "lonely.npy")
