"""The run folder guard and lock, without training anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lock_holder import lock_held_by_child, start_lock_holder

from unreid.cli.run_folder import (
    LOCK_FILE,
    ResumeMode,
    RunLock,
    check_run_folder,
    clear_run_files,
    incompatible_keys,
    remove_stale_temp_files,
)
from unreid.config import RunConfig, config_to_dict, save_config
from unreid.engine.checkpoint import save_atomic


def _run_folder(tmp_path: Path, *, checkpoint: bool = True) -> Path:
    run = tmp_path / "run"
    save_config(RunConfig(output_dir=str(run)), run / "config.yaml")  # as a run into ``run`` saves it
    (run / "metrics.jsonl").write_text('{"epoch": 0}\n')
    if checkpoint:
        save_atomic({"epoch": 0, "model": {}, "optimizer": {}, "scheduler": {}}, run / "last.pth")
    return run


def test_new_folder_and_new_run_are_allowed(tmp_path: Path) -> None:
    assert check_run_folder(tmp_path / "new", resume=ResumeMode.NO, overwrite=False, config={}) is False
    assert check_run_folder(tmp_path / "new", resume=ResumeMode.AUTO, overwrite=False, config={}) is False
    assert not (tmp_path / "new").exists()


def test_existing_run_needs_resume_or_overwrite(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    config = config_to_dict(RunConfig())
    with pytest.raises(ValueError, match="--resume.*--overwrite"):
        check_run_folder(run, resume=ResumeMode.NO, overwrite=False, config=config)
    assert check_run_folder(run, resume=ResumeMode.NO, overwrite=True, config=config) is False
    assert check_run_folder(run, resume=ResumeMode.REQUIRED, overwrite=False, config=config) is True
    with pytest.raises(ValueError, match="contradict"):
        check_run_folder(run, resume=ResumeMode.REQUIRED, overwrite=True, config=config)


def test_resume_without_checkpoint(tmp_path: Path) -> None:
    config = config_to_dict(RunConfig())
    with pytest.raises(ValueError, match="no checkpoint .*last.pth.*--resume auto"):
        check_run_folder(tmp_path / "typo", resume=ResumeMode.REQUIRED, overwrite=False, config=config)
    run = _run_folder(tmp_path, checkpoint=False)  # a run that stopped before its first epoch was saved
    (run / "best.pth").write_bytes(b"x")  # written with the metrics row, just before the first last.pth
    for mode in ResumeMode:
        assert check_run_folder(run, resume=mode, overwrite=False, config=config) is False  # starts over
    (run / "model.pth").write_bytes(b"x")  # a finished run without checkpoints is never started over
    for mode in ResumeMode:
        with pytest.raises(ValueError, match="--overwrite"):
            check_run_folder(run, resume=mode, overwrite=False, config=config)


def test_resume_compares_the_checkpoints_model(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    save_atomic({"epoch": 0, "model": {}, "optimizer": {}, "scheduler": {},
                 "model_spec": {"backbone": "resnet50", "height": 256}}, run / "last.pth")
    (run / "config.yaml").unlink()
    with pytest.raises(ValueError, match=r"model.backbone: 'resnet50' -> 'resnet18', data.height: 256 -> 128"):
        check_run_folder(run, resume=ResumeMode.REQUIRED, overwrite=False, config={},
                         model_spec={"backbone": "resnet18", "height": 128})
    assert check_run_folder(run, resume=ResumeMode.REQUIRED, overwrite=False, config={},
                            model_spec={"backbone": "resnet50", "height": 256}) is True


def test_incompatible_keys_are_all_named() -> None:
    old, new = RunConfig(), RunConfig()
    new.model.backbone, new.data.width, new.data.dataset, new.train.epochs = "resnet18", 64, "msmt17", 3
    changed = incompatible_keys(config_to_dict(old), config_to_dict(new))
    assert changed == ["data.dataset: 'market1501' -> 'msmt17'", "data.width: 128 -> 64",
                       "model.backbone: 'resnet50' -> 'resnet18'"]  # train.epochs may change on resume


def test_overwrite_clears_only_run_files_and_temp_files_are_removed(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    (run / "mine.txt").write_text("keep")
    (run / ".last.pth.abc").write_bytes(b"half")
    (run / ".model.pth.x1").write_bytes(b"half")
    (run / "best.pth").write_bytes(b"x")  # the model selection's choice and kept epochs are run files too
    (run / "epoch_001.pth").write_bytes(b"x")
    assert remove_stale_temp_files(run) == [".last.pth.abc", ".model.pth.x1"]
    assert sorted(clear_run_files(run)) == ["best.pth", "config.yaml", "epoch_001.pth", "last.pth", "metrics.jsonl"]
    assert sorted(p.name for p in run.iterdir()) == ["mine.txt"]


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with RunLock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
        with pytest.raises(ValueError, match=f"{LOCK_FILE}.*process {os.getpid()}"):
            RunLock(tmp_path).__enter__()
    assert not (tmp_path / LOCK_FILE).exists()
    with lock_held_by_child(tmp_path) as pid, pytest.raises(ValueError, match=f"process {pid} on "):
        RunLock(tmp_path).__enter__()
    with RunLock(tmp_path):  # free again once the child let go
        assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())


def test_a_lock_file_left_by_a_killed_run_is_free(tmp_path: Path) -> None:
    """The OS releases the lock with its process (kill -9 included); the file it leaves is no obstacle."""
    holder = start_lock_holder(tmp_path)
    holder.kill()
    holder.wait(timeout=60)
    assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(holder.pid)  # left behind, no longer locked
    with RunLock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
    assert not (tmp_path / LOCK_FILE).exists()


