"""Checkpoint writes: a signal during the write lets it finish; a failed write leaves no temp file."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from unreid.engine.checkpoint import save_atomic


@pytest.fixture(autouse=True)
def _python_sigint_handler() -> Iterator[None]:
    """Python's own SIGINT handler for each test, also when the suite was started with SIGINT ignored
    (a background job of a shell without job control); the previous handler is put back after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class _SignalWhilePickled:
    """Sends ``signum`` to this process while ``torch.save`` is pickling it: mid-write."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __reduce__(self) -> tuple[Any, ...]:
        os.kill(os.getpid(), self.signum)
        return (int, (7,))


def test_ctrl_c_during_write_finishes_the_write_then_interrupts(tmp_path: Path) -> None:
    path = tmp_path / "last.pth"
    state = {"epoch": 3, "model": {"w": torch.arange(1000.0)}, "late": _SignalWhilePickled(signal.SIGINT)}
    with pytest.raises(KeyboardInterrupt):
        save_atomic(state, path)
    loaded = torch.load(path, weights_only=False)
    assert loaded["epoch"] == 3 and torch.equal(loaded["model"]["w"], torch.arange(1000.0)) and loaded["late"] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pth"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers are restored


def test_sigterm_during_write_is_delivered_after_it(tmp_path: Path) -> None:
    caught: list[int] = []

    def handler(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        save_atomic({"model": {}, "late": _SignalWhilePickled(signal.SIGTERM)}, tmp_path / "last.pth")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert caught == [signal.SIGTERM] and (tmp_path / "last.pth").is_file()


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "last.pth"
    save_atomic({"model": {}, "epoch": 1}, path)

    def full(obj: object, handle: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(OSError, match="No space left"):
        save_atomic({"model": {}, "epoch": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=False)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pth"]
