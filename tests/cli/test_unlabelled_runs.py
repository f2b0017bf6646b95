"""Runs on one's own unlabelled crops: no NaN, no blank claims, and messages that say what is missing."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from tiny_run import error_lines, tiny_args

from unreid.cli.main import main


def _flat_folder(synthetic_root: Path, target: Path, *, count: int = 80, folders: tuple[str, ...] = ("",)) -> Path:
    """Synthetic crops renamed img_00000.jpg (no person, no camera), spread over ``folders``."""
    sources = sorted((synthetic_root / "bounding_box_train").glob("*.jpg"))[:count]
    for i, source in enumerate(sources):
        path = target / folders[i % len(folders)] / f"img_{i:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
    return target


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def test_flat_crops_train_with_camera_parts_off_and_honest_results(
    synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crops = _flat_folder(synthetic_root, tmp_path / "crops")
    run = tmp_path / "run"
    args = tiny_args(run, crops, data__dataset="folder", train__epochs=1, generator__enabled=True,
                     loss__camera_entropy_weight=True)
    with caplog.at_level(logging.INFO):
        assert main(args) == 0
    [line] = _warnings(caplog, "camera-aware parts switched off")
    assert "loss.camera_entropy_weight=false" in line and "generator.enabled=false" in line
    assert any("identities unknown" in r.getMessage() for r in caplog.records)  # the data summary
    text = (run / "results.json").read_text()
    results = json.loads(text)
    assert results["before"] is None and results["after"] is None and "not evaluated" in results["note"]
    assert "NaN" not in text and "NaN" not in (run / "metrics.jsonl").read_text()
    assert "camera_entropy_weight: true" in (run / "config.yaml").read_text()  # what was asked is kept

    caplog.clear()
    assert main(["evaluate", str(run / "model.pth")]) == 2
    [error] = error_lines(caplog)
    assert "nothing to evaluate against" in error and "data.folder_query" in error


def test_unlabelled_query_and_gallery_are_named_not_scored(
    synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    crops = _flat_folder(synthetic_root, tmp_path / "crops", folders=("cam1", "cam2"))
    query = _flat_folder(synthetic_root, tmp_path / "query", count=6, folders=("cam1", "cam2"))
    gallery = _flat_folder(synthetic_root, tmp_path / "gallery", count=8, folders=("cam1", "cam2"))
    run = tmp_path / "run"
    args = tiny_args(run, crops, data__dataset="folder", train__epochs=1, data__folder_query=query,
                     data__folder_gallery=gallery)
    assert main(args) == 0
    assert _warnings(caplog, "carry no identities")
    assert json.loads((run / "results.json").read_text())["after"] is None

    caplog.clear()
    assert main(["evaluate", str(run / "model.pth")]) == 2
    [error] = error_lines(caplog)
    assert "query images" in error and "carry no identities" in error
    assert "NaN" not in capsys.readouterr().out
