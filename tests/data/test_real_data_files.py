"""Real data sets: doubled and upper-case extensions, and a few unreadable files among many."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from PIL import Image

from unreid.data.folder import load_folder
from unreid.data.image_bank import BadFilePolicy, ImageBank
from unreid.data.market1501 import load_market1501
from unreid.data.records import Record


def _image(path: Path) -> Path:
    """A JPEG whose colour comes from its name: no two files are byte-identical (copies are read once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    code = zlib.crc32(path.name.encode())
    Image.new("RGB", (8, 16), (code & 255, (code >> 8) & 255, (code >> 16) & 255)).save(path, format="JPEG")
    return path


def test_market_reads_doubled_and_upper_case_extensions(tmp_path: Path) -> None:
    _image(tmp_path / "bounding_box_train" / "0002_c1s1_000451_03.jpg")
    _image(tmp_path / "bounding_box_train" / "0002_c2s1_000551_01.JPG")
    _image(tmp_path / "query" / "0010_c1s6_027271_05.jpg.jpg")  # as in a widely shared Market-1501 copy
    _image(tmp_path / "bounding_box_test" / "0010_c2s6_027296_01.jpg.jpg")
    _image(tmp_path / "bounding_box_test" / "0003_c3s3_075919_02.Jpeg")
    (tmp_path / "query" / "notes.txt").write_text("ignored")
    split = load_market1501(tmp_path)
    assert [(r.path.name, r.person_id, r.camera_id) for r in split.train] == [
        ("0002_c1s1_000451_03.jpg", 2, 0), ("0002_c2s1_000551_01.JPG", 2, 1)]
    assert [(r.person_id, r.camera_id) for r in split.query] == [(10, 0)]
    assert sorted((r.person_id, r.camera_id) for r in split.gallery) == [(3, 2), (10, 1)]


def test_folder_reads_upper_case_and_doubled_extensions(tmp_path: Path) -> None:
    _image(tmp_path / "train" / "1_c1_a.JPG")
    _image(tmp_path / "train" / "1_c2_b.jpg.jpg")
    split = load_folder(train=tmp_path / "train", pattern=r"(?P<pid>\d+)_c(?P<cam>\d+)")
    assert sorted(r.path.name for r in split.train) == ["1_c1_a.JPG", "1_c2_b.jpg.jpg"]
    assert split.query == [] and split.gallery == []


def _records_with_bad_files(tmp_path: Path) -> tuple[list[Record], list[Path]]:
    good = [_image(tmp_path / f"good{i}.jpg") for i in range(5)]
    bad = [tmp_path / "empty.jpg", tmp_path / "truncated.jpg", tmp_path / "text.jpg", tmp_path / "missing.jpg"]
    bad[0].write_bytes(b"")
    bad[1].write_bytes(good[0].read_bytes()[:100])
    bad[2].write_text("hello")
    paths = [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4]]
    return [Record(p, i, i % 2) for i, p in enumerate(paths)], bad


def test_skip_policy_leaves_out_and_lists_every_bad_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records, bad = _records_with_bad_files(tmp_path)
    bank = ImageBank(records, height=16, width=8, progress=False, bad_files=BadFilePolicy.SKIP)
    assert len(bank) == 5 and bank.pixels.shape[0] == 5
    assert [r.person_id for r in bank.records] == [0, 2, 4, 6, 8]  # rows stay aligned with records
    assert bank.camera_ids.tolist() == [0, 0, 0, 0, 0]
    assert [path for path, _ in bank.bad_files] == bad
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "4 unreadable" in warning and all(str(p) in warning for p in bad)


def test_error_policy_names_every_bad_file_at_once(tmp_path: Path) -> None:
    records, bad = _records_with_bad_files(tmp_path)
    with pytest.raises(ValueError) as error:
        ImageBank(records, height=16, width=8, progress=False, bad_files=BadFilePolicy.ERROR)
    assert "4 unreadable" in str(error.value) and all(str(p) in str(error.value) for p in bad)


def test_skip_policy_refuses_when_nothing_is_readable(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="no readable image"):
        ImageBank([Record(tmp_path / "a.jpg", 0, 0)], height=16, width=8, progress=False, bad_files=BadFilePolicy.SKIP)
