from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from unreid.data.msmt17 import load_msmt17, parse_msmt_camera
from unreid.data.registry import load_dataset


def _msmt_tree(root: Path, *, train_dir: str = "train", test_dir: str = "test") -> Path:
    lists = {
        "list_train.txt": (train_dir, ["0000/0000_000_01_0303morning_0015_0.jpg 0",
                                        "0000/0000_001_05_0303noon_0020_1.jpg 0",
                                        "0001/0001_000_15_0303afternoon_0030_0.jpg 1"]),
        "list_val.txt": (train_dir, ["0002/0002_000_03_0303morning_0040_0.jpg 2"]),
        "list_query.txt": (test_dir, ["0000/0000_000_02_0113morning_0001_0.jpg 0"]),
        "list_gallery.txt": (test_dir, ["0000/0000_001_07_0113noon_0002_0.jpg 0",
                                         "0001/0001_000_02_0113noon_0003_0.jpg 1", ""]),
    }
    for list_name, (folder, lines) in lists.items():
        (root / list_name).write_text("\n".join(lines) + "\n")
        for line in filter(None, lines):
            path = root / folder / line.split()[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (8, 16), (10, 200, 90)).save(path)
    return root


def test_parses_lists_cameras_and_merges_val(tmp_path: Path) -> None:
    split = load_msmt17(_msmt_tree(tmp_path))
    assert split.name == "msmt17"
    assert [(r.person_id, r.camera_id) for r in split.train] == [(0, 0), (0, 4), (1, 14), (2, 2)]
    assert [(r.person_id, r.camera_id) for r in split.query] == [(0, 1)]
    assert [(r.person_id, r.camera_id) for r in split.gallery] == [(0, 6), (1, 1)]
    assert split.train[0].path == tmp_path / "train" / "0000" / "0000_000_01_0303morning_0015_0.jpg"
    assert all(r.path.is_file() for r in split.train + split.query + split.gallery)


def test_accepts_v2_folder_names(tmp_path: Path) -> None:
    split = load_msmt17(_msmt_tree(tmp_path, train_dir="mask_train_v2", test_dir="mask_test_v2"))
    assert split.gallery[0].path.parent.parent.name == "mask_test_v2"
    assert load_dataset("msmt17", tmp_path) == split


def test_camera_field() -> None:
    assert parse_msmt_camera("0000_000_01_0303morning_0015_0.jpg") == 0
    assert parse_msmt_camera("0123/0123_004_15_0113noon_0001_0.jpg") == 14
    with pytest.raises(ValueError, match="third"):
        parse_msmt_camera("0000_000.jpg")


def test_missing_pieces_are_named(tmp_path: Path) -> None:
    root = _msmt_tree(tmp_path)
    (root / "list_val.txt").unlink()
    with pytest.raises(ValueError, match="list_val.txt is missing"):
        load_msmt17(root)
    (root / "test").rename(root / "testing")
    with pytest.raises(ValueError, match="mask_test_v2"):
        load_msmt17(root)


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    root = _msmt_tree(tmp_path)
    (root / "list_query.txt").write_text("0000/0000_000_02_0113morning_0001_0.jpg 0\n0000/bad.jpg\n")
    with pytest.raises(ValueError, match=r"list_query.txt, line 2"):
        load_msmt17(root)
    (root / "list_query.txt").write_text("0000/0000_x.jpg 0\n")
    with pytest.raises(ValueError, match=r"list_query.txt, line 1.*camera"):
        load_msmt17(root)


def test_wrong_image_folder_is_caught(tmp_path: Path) -> None:
    root = _msmt_tree(tmp_path)
    (root / "list_gallery.txt").write_text("9999/9999_000_02_0113noon_0003_0.jpg 9\n")
    with pytest.raises(ValueError, match="does not exist"):
        load_msmt17(root)
