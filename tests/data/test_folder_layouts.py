"""Every common layout of one's own crops: camera from a name group, a folder level or nowhere; pid and track optional."""

from __future__ import annotations

import zlib
from pathlib import Path, PurePath

import pytest
from PIL import Image

from unreid.data.folder import load_folder
from unreid.data.folder_layout import CameraFolder, FolderLayout, detect_layout
from unreid.data.records import UNKNOWN_PERSON, UNKNOWN_TRACK, Record, ReIDSplit, relabel


def _images(root: Path, names: list[str]) -> Path:
    for name in names:  # distinct pixels: byte-identical copies are read once
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 16), (90, zlib.crc32(name.encode()) % 256, 200)).save(root / name)
    return root


def _ids(split: ReIDSplit) -> list[tuple[str, int, int, int]]:
    return [(r.path.name, r.person_id, r.camera_id, r.track_id) for r in split.train]


def test_flat_names_load_with_no_option_as_camera_zero_and_unknown_identities(tmp_path: Path) -> None:
    root = _images(tmp_path, [f"img_{i:05d}.jpg" for i in range(3)])
    split = load_folder(train=root)
    assert _ids(split) == [(f"img_{i:05d}.jpg", UNKNOWN_PERSON, 0, UNKNOWN_TRACK) for i in range(3)]
    assert split.notes["layout"] == "flat" and split.notes["cameras"] == "unknown"
    summary = split.summary()
    assert "identities unknown" in summary and "cameras unknown" in summary


@pytest.mark.parametrize("folder", ["cam3", "c3", "camera_3", "Camera3", "CAM-3"])
def test_a_folder_named_like_a_camera_is_found_without_an_option(tmp_path: Path, folder: str) -> None:
    root = _images(tmp_path, [f"{folder}/00000.jpg", "cam10/00000.jpg", "cam10/00001.jpg"])
    split = load_folder(train=root)
    assert split.notes["layout"] == "camera_folders"
    assert {r.path.parent.name: r.camera_id for r in split.train} == {folder: 0, "cam10": 1}  # numeric order
    assert split.notes["cameras"] == "0=3, 1=10"


def test_the_deepest_camera_folder_counts(tmp_path: Path) -> None:
    root = _images(tmp_path, ["site/cam2/2024-01-01/a.jpg", "site/cam1/2024-01-01/b.jpg"])
    assert [(r.path.parent.parent.name, r.camera_id) for r in load_folder(train=root).train] == [
        ("cam1", 0), ("cam2", 1)]


def test_any_other_folder_naming_is_one_option_away(tmp_path: Path) -> None:
    root = _images(tmp_path, ["lobby/a.jpg", "entrance/b.jpg", "entrance/c.jpg"])
    assert load_folder(train=root).notes["cameras"] == "unknown"  # not camera-like: no cameras without the option
    split = load_folder(train=root, camera_level=1)
    assert [(r.path.name, r.camera_id) for r in split.train] == [("b.jpg", 0), ("c.jpg", 0), ("a.jpg", 1)]
    assert split.notes["cameras"] == "0=entrance, 1=lobby"
    _images(root, ["loose.jpg"])
    with pytest.raises(ValueError, match=r"loose\.jpg: no folder level 1 .*data\.folder_camera_level"):
        load_folder(train=root, camera_level=1)


def test_camera_folders_layout_names_a_file_outside_camera_folders(tmp_path: Path) -> None:
    root = _images(tmp_path, ["cam1/a.jpg", "misc/b.jpg"])
    assert load_folder(train=root).notes["layout"] == "flat"  # auto: not every crop is in a camera folder
    with pytest.raises(ValueError, match=r"b\.jpg: no folder named like a camera"):
        load_folder(train=root, layout=FolderLayout.CAMERA_FOLDERS)


def test_camera_from_a_name_group_and_market_names(tmp_path: Path) -> None:
    root = _images(tmp_path, ["0002_c1s1_000451_03.jpg", "0002_c2s1_000301_01.jpg", "-1_c1s1_000001_00.jpg"])
    split = load_folder(train=root)
    assert split.notes["layout"] == "market"
    assert sorted((r.person_id, r.camera_id) for r in split.train) == [(-1, 0), (2, 0), (2, 1)]
    assert load_folder(train=root, layout=FolderLayout.MARKET).train == split.train  # the preset by name


def test_tracker_names_give_camera_and_a_track_per_camera(tmp_path: Path) -> None:
    names = ["cam1_track11_frame004101.jpg", "cam1_track11_frame004102.jpg", "cam1_track2_frame000001.jpg",
             "cam2_track11_frame000007.jpg"]
    split = load_folder(train=_images(tmp_path, names))
    assert split.notes["layout"] == "tracker"
    tracks = {r.path.name: (r.camera_id, r.track_id) for r in split.train}
    # (camera, track) pairs numbered in order: (0, 2) -> 0, (0, 11) -> 1, (1, 11) -> 2
    assert tracks == {names[0]: (0, 1), names[1]: (0, 1), names[2]: (0, 0), names[3]: (1, 2)}
    assert {r.person_id for r in split.train} == {UNKNOWN_PERSON}


def test_a_custom_pattern_with_a_track_group_and_no_pid(tmp_path: Path) -> None:
    root = _images(tmp_path, ["north-t7-0001.png", "north-t7-0002.png", "south-t7-0001.png"])
    split = load_folder(train=root, pattern=r"(?P<cam>[a-z]+)-t(?P<track>\d+)")
    assert [(r.camera_id, r.track_id, r.person_id) for r in split.train] == [(0, 0, -1), (0, 0, -1), (1, 1, -1)]
    with pytest.raises(ValueError, match="keep one of them"):
        load_folder(train=root, pattern=r"(?P<cam>[a-z]+)", layout=FolderLayout.TRACKER)


def test_a_pattern_without_cam_still_reads_camera_folders(tmp_path: Path) -> None:
    root = _images(tmp_path, ["cam1/0007_a.jpg", "cam2/0007_b.jpg"])
    split = load_folder(train=root, pattern=r"^(?P<pid>\d+)_")
    assert [(r.person_id, r.camera_id) for r in split.train] == [(7, 0), (7, 1)]


def test_flat_evaluation_folders_are_refused_with_the_fix(tmp_path: Path) -> None:
    for sub in ("train", "query", "gallery"):
        _images(tmp_path / sub, ["img_00000.jpg", "img_00001.jpg"])
    with pytest.raises(ValueError, match="need cameras.*cam1/, cam2/ folders"):
        load_folder(train=tmp_path / "train", query=tmp_path / "query", gallery=tmp_path / "gallery")


def test_detect_layout_and_camera_folder_on_paths() -> None:
    assert detect_layout([PurePath("cam1_track3_frame1.jpg")]) is FolderLayout.TRACKER
    assert detect_layout([PurePath("c3/x.jpg"), PurePath("camera_4/y.jpg")]) is FolderLayout.CAMERA_FOLDERS
    assert detect_layout([PurePath("x.jpg"), PurePath("c3/y.jpg")]) is FolderLayout.FLAT
    assert detect_layout([]) is FolderLayout.FLAT
    assert CameraFolder().camera(PurePath("cams/c03/x.jpg")) == "3"
    assert CameraFolder(level=2).camera(PurePath("a/b/x.jpg")) == "b"
    assert CameraFolder(level=3).camera(PurePath("a/b/x.jpg")) is None


def test_track_survives_relabelling_and_old_constructors_still_work() -> None:
    record = Record(Path("a.jpg"), 5, 1)  # the three-field constructor used across the code base
    assert record.track_id == UNKNOWN_TRACK
    tracked = Record(Path("b.jpg"), 5, 1, 9)
    assert relabel([record, tracked], [3, 4]) == [Record(Path("a.jpg"), 3, 1), Record(Path("b.jpg"), 4, 1, 9)]
