"""``unreid extract`` / ``index build`` / ``search`` / ``export onnx`` / ``evaluate`` end to end on tiny files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tiny_world import save_tiny_checkpoint

from unreid.cli.main import main
from unreid.retrieval.feature_file import load_features
from unreid.retrieval.index_store import load_index


@pytest.fixture(scope="module")
def built(tiny_checkpoint: Path, eval_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    assert main(["extract", str(eval_root), "--subset", "gallery", "--checkpoint", str(tiny_checkpoint),
                 "--out", str(out / "gallery.safetensors")]) == 0
    assert main(["index", "build", str(out / "gallery.safetensors"), "--out", str(out / "index")]) == 0
    return out


def test_extract_writes_features_and_records(built: Path, eval_root: Path) -> None:
    loaded = load_features(built / "gallery.safetensors")
    assert loaded.features.shape == (16, 512)  # 4 persons x 2 cameras x 2 shots
    assert np.allclose(np.linalg.norm(loaded.features, axis=1), 1.0, atol=1e-5)
    first = loaded.records[0]
    assert first.path == (eval_root / "bounding_box_test" / "0001_c2s1_000100_00.jpg").resolve()
    assert (first.person_id, first.camera_id) == (1, 1)


def test_index_keeps_fingerprint_and_kind(built: Path, tiny_checkpoint: Path) -> None:
    from unreid.retrieval.feature_extractor import FeatureExtractor

    index = load_index(built / "index")
    assert index.kind.value == "exact" and len(index) == 16
    assert index.fingerprint == FeatureExtractor.from_checkpoint(tiny_checkpoint).fingerprint


def test_search_json_and_grid(built: Path, tiny_checkpoint: Path, eval_root: Path) -> None:
    gallery_crop = eval_root / "bounding_box_test" / "0003_c3s1_000201_00.jpg"
    assert main(["search", str(built / "index"), str(gallery_crop), str(eval_root / "query"), "--checkpoint",
                 str(tiny_checkpoint), "--top-k", "4", "--json", str(built / "hits.json"),
                 "--grid", str(built / "grid.png"), "--grid-queries", "3"]) == 0
    results = json.loads((built / "hits.json").read_text())
    assert len(results) == 1 + 4
    self_hit = results[0]["results"][0]  # a gallery crop finds itself first, with cosine 1
    assert Path(self_hit["path"]).name == gallery_crop.name and self_hit["score"] == pytest.approx(1.0, abs=1e-5)
    assert self_hit["match"] is True and self_hit["camera_id"] == 2
    for row in results:
        scores = [h["score"] for h in row["results"]]
        assert len(scores) == 4 and scores == sorted(scores, reverse=True)
        assert all(h["match"] == (h["person_id"] == row["person_id"]) for h in row["results"])
    grid = Image.open(built / "grid.png")
    assert grid.size[1] == 6 + 3 * (128 + 8 + 24 + 2 + 6)  # three rows of 64x128 cells with two label lines


def test_search_with_another_model_is_refused(built: Path, eval_root: Path, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    other = save_tiny_checkpoint(tmp_path / "other.pth", seed=1)
    assert main(["search", str(built / "index"), str(eval_root / "query"), "--checkpoint", str(other)]) == 2
    assert "was built with model" in caplog.text and "rebuild it with `unreid index build`" in caplog.text


def test_bad_inputs_exit_2_with_a_message(built: Path, tiny_checkpoint: Path, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["extract", str(tmp_path / "empty"), "--checkpoint", str(tiny_checkpoint),
                 "--out", str(tmp_path / "f.npy")]) == 2
    assert "no *.jpg, *.jpeg, *.png" in caplog.text
    assert main(["search", str(tmp_path / "empty"), str(tmp_path), "--checkpoint", str(tiny_checkpoint)]) == 2
    assert "no gallery index here" in caplog.text
    assert main(["index", "build", str(tmp_path / "empty"), "--out", str(tmp_path / "i")]) == 2
    assert "give --checkpoint or --onnx" in caplog.text


def test_evaluate_on_query_and_gallery_only(tiny_checkpoint: Path, eval_root: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert not (eval_root / "bounding_box_train").exists()
    assert main(["evaluate", str(tiny_checkpoint), "--set", f"data.root={eval_root}", "--set", "train.device=cpu",
                 "--set", "train.amp=none"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # the same protocol computed here from the public extractor: 4 queries (c1), 16 gallery crops (c2, c3)
    from unreid.evaluation.rank_metrics import evaluate_ranking
    from unreid.retrieval.feature_extractor import FeatureExtractor
    from unreid.retrieval.image_records import records_of_source

    query = records_of_source(eval_root, subset="query")
    gallery = records_of_source(eval_root, subset="gallery")
    extractor = FeatureExtractor.from_checkpoint(tiny_checkpoint)
    q, g = extractor([r.path for r in query]), extractor([r.path for r in gallery])  # [4, D], [16, D]
    expected = evaluate_ranking(
        distances=2 - 2 * (q @ g.t()), query_pids=[r.person_id for r in query],
        query_cams=[r.camera_id for r in query], gallery_pids=[r.person_id for r in gallery],
        gallery_cams=[r.camera_id for r in gallery],
    ).as_dict(percent=True)
    # every query's person is in the gallery (other cameras): all 4 evaluated, none skipped
    assert metrics.pop("queries_evaluated") == 4 and metrics.pop("queries_skipped") == 0
    assert set(metrics) == set(expected)
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, abs=0.01), name
