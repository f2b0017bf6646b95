"""The data set table: one list of names, and each entry's options checked before loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from unreid.data.registry import DATASET_NAMES, DATASETS, load_dataset


def test_names_come_from_the_table() -> None:
    assert DATASET_NAMES == ("market1501", "msmt17", "folder", "synthetic") == tuple(DATASETS)
    assert [name for name, entry in DATASETS.items() if not entry.reads_existing_root] == ["synthetic"]


def test_options_are_checked_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'folder' takes only pattern= and layout=.*got \['colour', 'pattern'\]"):
        load_dataset("folder", tmp_path, pattern="x", colour="red")
    with pytest.raises(ValueError, match=r"'synthetic' takes only config= and overwrite=; got \['size'\]"):
        load_dataset("synthetic", tmp_path / "syn", size=3)
    assert not (tmp_path / "syn").exists()
    with pytest.raises(ValueError, match="'msmt17' takes no options"):
        load_dataset("msmt17", tmp_path, config=None)
