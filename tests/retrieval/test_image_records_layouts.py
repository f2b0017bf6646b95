"""``unreid extract`` on one's own layouts: cameras from camera folders and tracker names, not -1."""

from __future__ import annotations

import zlib
from pathlib import Path

from PIL import Image

from unreid.retrieval.image_records import UNKNOWN_CAMERA, records_of_source


def _images(root: Path, names: list[str]) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 16), (9, zlib.crc32(name.encode()) % 256, 9)).save(root / name)
    return root


def test_camera_folders_give_the_camera(tmp_path: Path) -> None:
    root = _images(tmp_path, ["cam1/00000.jpg", "c3/00001.jpg", "camera_2/00002.jpg"])
    assert {r.path.parent.name: (r.person_id, r.camera_id) for r in records_of_source(root)} == {
        "cam1": (-1, 0), "c3": (-1, 2), "camera_2": (-1, 1)}  # numbered from 1, like Market-1501's c1


def test_tracker_names_give_the_camera_and_plain_names_none(tmp_path: Path) -> None:
    tracker = _images(tmp_path / "t", ["cam2_track11_frame004101.jpg"])
    assert [r.camera_id for r in records_of_source(tracker)] == [1]
    flat = _images(tmp_path / "f", ["img_00000.jpg", "img_00001.jpg"])
    assert [r.camera_id for r in records_of_source(flat)] == [UNKNOWN_CAMERA] * 2
