"""Atomic writes: the target holds the old bytes or the new ones, and no temporary file stays."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from unreid.io.atomic_file import atomic_file, atomic_torch_save, atomic_write_bytes


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "data.bin"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_file(target) as handle:
        handle.write(b"new, half written")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.bin"]


def test_torch_save_bytes_do_not_depend_on_the_temporary_name(tmp_path: Path) -> None:
    state = {"w": torch.arange(6.0)}
    atomic_torch_save(state, tmp_path / "a.pth", permissions=0o644)
    atomic_torch_save(state, tmp_path / "b.pth")
    assert (tmp_path / "a.pth").read_bytes() == (tmp_path / "b.pth").read_bytes()
    assert (tmp_path / "a.pth").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.pth").stat().st_mode & 0o777 == 0o600  # mkstemp's private mode, as before
    assert torch.equal(torch.load(tmp_path / "a.pth", weights_only=True)["w"], state["w"])
