from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from PIL import Image

from unreid.data.market1501 import load_market1501
from unreid.data.registry import load_dataset


def _jpeg(path: Path) -> None:
    """A crop whose colour comes from its name: no two files are byte-identical (copies are read once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    code = zlib.crc32(path.name.encode())
    Image.new("RGB", (8, 16), (code & 255, (code >> 8) & 255, (code >> 16) & 255)).save(path)


def _market_tree(root: Path) -> Path:
    for name in ["0002_c1s1_000451_03.jpg", "0002_c2s1_000551_01.jpg", "0007_c6s2_012345_02.jpg",
                 "0000_c1s1_000001_01.jpg",  # distractor: dropped from train
                 "-1_c3s1_000002_01.jpg"]:  # junk: dropped
        _jpeg(root / "bounding_box_train" / name)
    for name in ["0010_c1s6_027271_05.jpg", "0003_c3s3_076069_03.jpg", "-1_c1s1_000003_01.jpg"]:
        _jpeg(root / "query" / name)
    for name in ["0010_c2s6_027296_01.jpg", "0003_c3s3_075919_02.jpg", "0000_c4s1_000100_01.jpg",
                 "-1_c5s1_000004_01.jpg"]:
        _jpeg(root / "bounding_box_test" / name)
    (root / "bounding_box_test" / "Thumbs.db").write_bytes(b"\x00\x01")
    (root / "query" / "readme.txt").write_text("stray file")
    return root


def test_parses_ids_cameras_junk_and_distractors(tmp_path: Path) -> None:
    split = load_market1501(_market_tree(tmp_path))
    assert split.name == "market1501" and split.root == tmp_path
    assert [(r.path.name, r.person_id, r.camera_id) for r in split.train] == [
        ("0002_c1s1_000451_03.jpg", 2, 0), ("0002_c2s1_000551_01.jpg", 2, 1), ("0007_c6s2_012345_02.jpg", 7, 5)]
    assert [(r.person_id, r.camera_id) for r in split.query] == [(3, 2), (10, 0)]  # sorted by file name
    assert [(r.person_id, r.camera_id) for r in split.gallery] == [(0, 3), (3, 2), (10, 1)]  # distractor kept
    assert all(r.path.is_file() for r in split.train + split.query + split.gallery)


def test_order_is_deterministic(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    assert load_market1501(root) == load_market1501(root)


def test_missing_folder_names_it_and_the_layout(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    (root / "query").rename(root / "queries")
    with pytest.raises(ValueError, match=r"query is missing.*bounding_box_train"):
        load_market1501(root)
    with pytest.raises(ValueError, match="not a folder"):
        load_market1501(tmp_path / "nowhere")


def test_bad_name_names_the_file(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    _jpeg(root / "bounding_box_train" / "person2_cam1.jpg")
    with pytest.raises(ValueError, match="person2_cam1.jpg"):
        load_market1501(root)


def test_empty_subset_is_reported(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    for path in (root / "query").glob("*.jpg"):
        path.unlink()
    with pytest.raises(ValueError, match="no usable"):
        load_market1501(root)


def test_registry_dispatch_and_unknown_name(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    assert load_dataset("market1501", root) == load_market1501(root)
    with pytest.raises(ValueError, match="valid names: market1501, msmt17, folder, synthetic"):
        load_dataset("dukemtmc", root)
    with pytest.raises(ValueError, match="takes no options"):
        load_dataset("market1501", root, pattern="x")


def test_real_dev_split(market_dev_root: Path) -> None:
    split = load_market1501(market_dev_root)
    assert split.train and split.query and split.gallery
    assert {r.camera_id for r in split.train} <= set(range(6))
    assert all(r.person_id > 0 for r in split.train + split.query)


def test_every_bad_name_is_reported_at_once_with_the_folder_hint(tmp_path: Path) -> None:
    root = _market_tree(tmp_path)
    bad = [root / "bounding_box_train" / f"person{i}_cam1.jpg" for i in range(12)] + [root / "query" / "q_7.jpg"]
    for path in bad:
        _jpeg(path)
    with pytest.raises(ValueError) as error:
        load_market1501(root)
    message = str(error.value)
    assert "13 file name(s) do not follow" in message and "and 3 more" in message
    assert str(bad[0]) in message and "data.dataset=folder" in message and "data.folder_pattern" in message
