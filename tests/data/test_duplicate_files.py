"""Byte-identical copies of a training image are read once (the first in sorted order kept)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from unreid.data.duplicate_files import drop_duplicate_files
from unreid.data.market1501 import load_market1501


def test_copies_are_dropped_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = {"x.jpg": b"AAAA", "x.jpg.jpg": b"AAAA", "x.JPG": b"AAAA", "y.jpg": b"AAAB", "z.png": b"CC"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with caplog.at_level(logging.WARNING):
        kept = drop_duplicate_files(list(tmp_path.iterdir()), role="training")
    assert [p.name for p in kept] == ["x.JPG", "y.jpg", "z.png"]  # sorted: "x.JPG" < "x.jpg" < "x.jpg.jpg"
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "2 byte-identical copies" in warning and "3 of 5 files kept" in warning


def test_no_copies_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for i in range(3):
        (tmp_path / f"{i}.jpg").write_bytes(bytes([i]) * 4)
    assert len(drop_duplicate_files(list(tmp_path.iterdir()), role="training")) == 3
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_empty_files_are_no_copies(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"):
        (tmp_path / name).write_bytes(b"" if name < "c" else b"DD")
    kept = drop_duplicate_files(list(tmp_path.iterdir()), role="training")
    assert [p.name for p in kept] == ["a.jpg", "b.jpg", "c.jpg"]  # both empty ones left for the bad-file check


def test_market_training_copies_are_read_once(tmp_path: Path) -> None:
    for folder in ("bounding_box_train", "query", "bounding_box_test"):
        (tmp_path / folder).mkdir()
    for i, cam in enumerate((1, 2)):
        (tmp_path / "query" / f"0001_c{cam}s1_00000{i}_00.jpg").write_bytes(bytes([i]))
        (tmp_path / "bounding_box_test" / f"0001_c{cam}s1_00001{i}_00.jpg").write_bytes(bytes([i]))
    train = tmp_path / "bounding_box_train"
    (train / "0002_c1s1_000001_00.jpg").write_bytes(b"same")
    (train / "0002_c1s1_000001_00.jpg.jpg").write_bytes(b"same")
    (train / "0002_c1s1_000001_00.JPG").write_bytes(b"same")
    (train / "0003_c2s1_000001_00.jpg").write_bytes(b"other")
    split = load_market1501(tmp_path)
    assert len(split.train) == 2
