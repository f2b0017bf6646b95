from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from PIL import Image

from unreid.data.folder import load_folder
from unreid.data.records import UNKNOWN_PERSON
from unreid.data.registry import load_dataset

PATTERN = r"(?P<pid>\d+)_c(?P<cam>\d+)"


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shade = zlib.crc32(str(path).encode()) % 256  # distinct files: byte-identical copies are read once
    Image.new("RGB", (8, 16), (200, shade, 20)).save(path)


def test_train_only_folder_without_pid(tmp_path: Path) -> None:
    for name in ["a/x_c10.jpg", "a/y_c2.png", "b/z_c2.jpeg", "w_c3.JPG"]:
        _image(tmp_path / name)
    (tmp_path / "notes.txt").write_text("ignored")
    split = load_folder(train=tmp_path, query=None, gallery=None, pattern=r"_c(?P<cam>\d+)")
    assert split.query == [] and split.gallery == []
    cams = {r.path.name: r.camera_id for r in split.train}
    assert cams == {"x_c10.jpg": 2, "y_c2.png": 0, "z_c2.jpeg": 0, "w_c3.JPG": 1}  # numeric order 2 < 3 < 10
    assert {r.person_id for r in split.train} == {UNKNOWN_PERSON}


def test_no_cam_group_means_one_camera_for_training(tmp_path: Path) -> None:
    _image(tmp_path / "p1.jpg")
    _image(tmp_path / "p2.jpg")
    split = load_folder(train=tmp_path, query=None, gallery=None, pattern=r"p(?P<pid>\d)")
    assert [(r.person_id, r.camera_id) for r in split.train] == [(1, 0), (2, 0)]


def test_evaluation_folders_share_the_camera_mapping(tmp_path: Path) -> None:
    _image(tmp_path / "train" / "0001_cB_1.jpg")
    _image(tmp_path / "train" / "0002_cC_1.jpg")
    _image(tmp_path / "query" / "0005_cA_1.jpg")
    _image(tmp_path / "gallery" / "0005_cC_2.jpg")
    split = load_folder(train=tmp_path / "train", query=tmp_path / "query", gallery=tmp_path / "gallery",
                        pattern=r"(?P<pid>\d+)_c(?P<cam>[A-Z])")
    assert [(r.person_id, r.camera_id) for r in split.train] == [(1, 1), (2, 2)]
    assert [(r.person_id, r.camera_id) for r in split.query] == [(5, 0)]
    assert [(r.person_id, r.camera_id) for r in split.gallery] == [(5, 2)]
    assert split.notes["cameras"] == "0=A, 1=B, 2=C"


def test_nested_query_and_gallery_are_left_out_of_train(tmp_path: Path) -> None:
    _image(tmp_path / "1_c1.jpg")
    _image(tmp_path / "query" / "2_c1.jpg")
    _image(tmp_path / "gallery" / "2_c2.jpg")
    split = load_folder(train=tmp_path, query=tmp_path / "query", gallery=tmp_path / "gallery", pattern=PATTERN)
    assert [r.path.name for r in split.train] == ["1_c1.jpg"]


def test_string_pids_are_mapped(tmp_path: Path) -> None:
    _image(tmp_path / "bob_c1.jpg")
    _image(tmp_path / "alice_c2.jpg")
    split = load_folder(train=tmp_path, query=None, gallery=None, pattern=r"(?P<pid>[a-z]+)_c(?P<cam>\d)")
    assert {r.path.name: r.person_id for r in split.train} == {"alice_c2.jpg": 0, "bob_c1.jpg": 1}


def test_errors_name_the_fix(tmp_path: Path) -> None:
    _image(tmp_path / "train" / "1_c1.jpg")
    _image(tmp_path / "query" / "1_c1.jpg")
    _image(tmp_path / "gallery" / "1_c2.jpg")
    folders = {"train": tmp_path / "train", "query": tmp_path / "query", "gallery": tmp_path / "gallery"}
    with pytest.raises(ValueError, match="not a valid regular expression"):
        load_folder(**folders, pattern=r"(?P<cam>\d+")
    with pytest.raises(ValueError, match="query and gallery folders need cameras"):
        load_folder(**folders, pattern=r"(?P<pid>\d+)")
    with pytest.raises(ValueError, match="both a query and a gallery"):
        load_folder(train=folders["train"], query=folders["query"], gallery=None, pattern=PATTERN)
    with pytest.raises(ValueError, match="does not exist"):
        load_folder(train=tmp_path / "missing", query=None, gallery=None, pattern=PATTERN)
    _image(tmp_path / "gallery" / "oops.jpg")
    with pytest.raises(ValueError, match="oops.jpg"):
        load_folder(**folders, pattern=PATTERN)
    _image(tmp_path / "train" / "3.jpg")
    with pytest.raises(ValueError, match="did not match"):
        load_folder(train=folders["train"], query=None, gallery=None, pattern=r"\d(_c(?P<cam>\d))?")


def test_empty_folder_is_reported_and_registry(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no"):
        load_folder(train=tmp_path / "empty", query=None, gallery=None, pattern=PATTERN)
    _image(tmp_path / "t" / "4_c1.jpg")
    split = load_dataset("folder", tmp_path / "t", pattern=PATTERN)
    assert [(r.person_id, r.camera_id) for r in split.train] == [(4, 0)]
    assert load_dataset("folder", tmp_path / "t").train == split.train  # no pattern: the market layout is found
    with pytest.raises(ValueError, match="takes only"):
        load_dataset("folder", tmp_path / "t", patern=PATTERN)
