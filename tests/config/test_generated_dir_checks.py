"""`unreid train --generated DIR` problems are named by the config check, before any image is decoded."""

from __future__ import annotations

from pathlib import Path

from unreid.config.loader import load_config
from unreid.config.validation import config_problems


def _problems(tmp_path: Path, folder: Path) -> list[str]:
    config = load_config(overrides=["data.dataset=synthetic", f"data.root={tmp_path / 'synthetic'}",
                                    "generator.enabled=true", "generator.kind=learned",
                                    f"generator.generated_dir={folder}"])
    return [p for p in config_problems(config) if "generated_dir" in p]


def test_missing_folder_empty_folder_and_empty_manifest_are_named(tmp_path: Path) -> None:
    assert "not a folder" in _problems(tmp_path, tmp_path / "nowhere")[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no manifest" in _problems(tmp_path, empty)[0]
    (empty / "manifest.csv").write_text("generated_path,source_path,source_camera,target_camera\n")
    assert "lists no generated image" in _problems(tmp_path, empty)[0]
    (empty / "manifest.csv").write_text("generated_path,source_path,source_camera,target_camera\na.png,b.png,0,1\n")
    assert _problems(tmp_path, empty) == []
