"""Each way a run can stop becomes one line naming the cause, the last checkpoint and --resume."""

from __future__ import annotations

import errno
import signal
from pathlib import Path

import pytest
import torch

from unreid.cli.run_failures import RunStopped, stop_cleanly
from unreid.engine.checkpoint import save_atomic
from unreid.engine.training_failure import TrainingFailure


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    save_atomic({"epoch": 4, "model": {}}, tmp_path / "last.pth")
    return tmp_path


@pytest.mark.parametrize("error, expected", [
    (KeyboardInterrupt(), "interrupted (SIGINT)"),
    (KeyboardInterrupt("SIGTERM"), "interrupted (SIGTERM)"),
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "out of GPU memory (CUDA out of memory"),
    (MemoryError(), "out of memory; lower eval.batch_size"),
    (OSError(errno.ENOSPC, "No space left on device", "/runs/x/.last.pth.abc"), "disk full: No space left on device "
                                                                              "while writing /runs/x/.last.pth.abc"),
    (RuntimeError("PytorchStreamWriter failed writing file data/3: file write failed"), None),
    (TrainingFailure("epoch 5: the loss is not finite (total nan); lower train.lr (now 0.9)", epoch=5), "train.lr"),
])
def test_failure_becomes_one_line(error: BaseException, expected: str | None, run_dir: Path) -> None:
    if expected is None:  # an unrelated error is not disguised
        with pytest.raises(RuntimeError, match="PytorchStreamWriter"), stop_cleanly(run_dir):
            raise error
        return
    with pytest.raises(RunStopped) as stopped, stop_cleanly(run_dir):
        raise error
    message = str(stopped.value)
    assert expected in message and "\n" not in message
    assert f"{run_dir / 'last.pth'} (epoch 4 finished)" in message and "resume with --resume" in message


def test_disk_full_hidden_inside_another_error_is_found(run_dir: Path) -> None:
    with pytest.raises(RunStopped, match="No space left on device"), stop_cleanly(run_dir):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("unexpected pos 64 vs 0") from inner


def test_sigterm_handler_is_installed_and_restored(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RunStopped, match=r"interrupted \(SIGTERM\); no finished epoch was saved"), stop_cleanly(tmp_path):
        assert signal.getsignal(signal.SIGTERM) is not before
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before
