"""Every row of issue 11's table of failures, through ``unreid train`` as a user runs it.

Each case asserts the exit code, that the command ends with one error line naming the
config key or the file, and that finished work is intact.
"""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
from lock_holder import lock_held_by_child
from tiny_run import copy_run, error_lines, tiny_args

from unreid.cli import train_run
from unreid.cli.main import main
from unreid.engine.checkpoint import load_checkpoint
from unreid.engine.run_log import read_metrics


def _snapshot(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir()) if p.is_file()}


def test_new_run_into_finished_run_refuses_and_keeps_it(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    before = _snapshot(run)
    assert main(tiny_args(run, synthetic_root)) == 2
    [line] = error_lines(caplog)
    assert str(run) in line and "--resume" in line and "--overwrite" in line
    assert _snapshot(run) == before  # model.pth, metrics.jsonl (2 lines) untouched
    assert len(read_metrics(run)) == 2


def test_overwrite_replaces_the_run(finished_run: Path, synthetic_root: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "notes.txt").write_text("mine")
    assert main(tiny_args(run, synthetic_root, train__epochs=1, train__eval_every=0) + ["--overwrite"]) == 0
    assert [r["epoch"] for r in read_metrics(run)] == [0]
    assert (run / "notes.txt").read_text() == "mine"  # only the run's own files are replaced


def test_resume_with_mistyped_output_dir_refuses(synthetic_root: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    typo = tmp_path / "rnu"
    assert main(tiny_args(typo, synthetic_root) + ["--resume"]) == 2
    [line] = error_lines(caplog)
    assert str(typo / "last.pth") in line and "--resume auto" in line
    assert not typo.exists()


def test_two_runs_into_one_folder_lock(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    with lock_held_by_child(run) as holder:  # another live run holds the folder
        before = _snapshot(run)
        assert main(tiny_args(run, synthetic_root, train__epochs=3) + ["--resume"]) == 2
        [line] = error_lines(caplog)
        assert str(run / "run.lock") in line and f"process {holder} " in line
        assert _snapshot(run) == before


def test_resume_with_other_backbone_and_size_names_every_key(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    before = _snapshot(run)
    args = tiny_args(run, synthetic_root, model__backbone="resnet18", data__height=64, train__epochs=3)
    assert main(args + ["--resume"]) == 2
    [line] = error_lines(caplog)
    assert "model.backbone: 'resnet10t' -> 'resnet18'" in line and "data.height: 32 -> 64" in line
    assert _snapshot(run) == before  # config.yaml not overwritten


@pytest.mark.parametrize("change, key", [
    ({"train__lr": -1}, "train.lr=-1"),
    ({"train__lr": 100}, "train.lr=100"),
    ({"train__num_instances": 0}, "train.num_instances=0"),
    ({"model__backbone": "not_a_model"}, "model.backbone='not_a_model'"),
    ({"cluster__eps": 5}, "cluster.eps=5"),
])
def test_bad_settings_refused_before_any_work(change: dict[str, object], key: str, synthetic_root: Path,
                                              tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    work: list[str] = []
    for name in ("load_training_split", "_decode", "_run"):
        monkeypatch.setattr(train_run, name, lambda *a, _name=name, **k: work.append(_name))
    assert main(tiny_args(tmp_path / "run", synthetic_root, **change)) == 2
    [line] = error_lines(caplog)
    assert key in line and ("expected" in line or "timm" in line)
    assert not (tmp_path / "run").exists() and work == []  # nothing written, not even the data set listed


def _bad_image_folder(synthetic_root: Path, target: Path) -> list[Path]:
    target.mkdir()
    for path in sorted((synthetic_root / "bounding_box_train").glob("*.jpg"))[:40]:
        (target / path.name).write_bytes(path.read_bytes())
    good = sorted(target.glob("*.jpg"))
    bad = [target / "0999_c1s1_000001_00.jpg", target / "0999_c2s1_000002_00.jpg", target / "0999_c3s1_000003_00.jpg"]
    bad[0].write_bytes(b"")  # zero bytes
    bad[1].write_bytes(good[0].read_bytes()[:200])  # truncated
    bad[2].write_text("not an image")
    return bad


def test_bad_files_are_skipped_listed_and_training_runs_without_evaluation(
    synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = _bad_image_folder(synthetic_root, tmp_path / "crops")
    run = tmp_path / "run"
    args = tiny_args(run, tmp_path / "crops", data__dataset="folder", train__epochs=1,
                     data__folder_pattern=r"(?P<pid>\d+)_c(?P<cam>\d+)")
    assert main(args) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "unreadable" in r.getMessage()]
    assert any(all(str(p) in w for p in bad) and w.startswith("skipped 3 unreadable") for w in warnings)
    listed = (run / "bad_files.txt").read_text().splitlines()
    assert sorted(line.split("\t")[1] for line in listed) == sorted(str(p) for p in bad)
    assert (run / "model.pth").is_file() and json.loads((run / "results.json").read_text())["after"] is None
    assert "mAP" not in read_metrics(run)[0]


def test_bad_files_error_policy_names_every_file(synthetic_root: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    bad = _bad_image_folder(synthetic_root, tmp_path / "crops")
    bad[0].write_bytes(b"\xff\xd8\xff" + bytes(50))  # not empty: only decoding finds it
    args = tiny_args(tmp_path / "run", tmp_path / "crops", data__dataset="folder", data__bad_files="error",
                     data__folder_pattern=r"(?P<pid>\d+)_c(?P<cam>\d+)")
    assert main(args) == 2
    [line] = error_lines(caplog)
    assert all(str(p) in line for p in bad) and "3 unreadable" in line and "data.bad_files=skip" in line


def test_empty_files_are_found_by_the_quick_scan_before_decoding(synthetic_root: Path, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _bad_image_folder(synthetic_root, tmp_path / "crops")
    args = tiny_args(tmp_path / "run", tmp_path / "crops", data__dataset="folder", data__bad_files="error",
                     data__folder_pattern=r"(?P<pid>\d+)_c(?P<cam>\d+)")
    import unreid.cli.train_run as pipeline

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoding started")

    monkeypatch.setattr(pipeline, "ImageBank", no_decoding)
    bad[1].write_bytes(b"")  # a second empty file: the quick scan sees sizes only
    assert main(args) == 2
    [line] = error_lines(caplog)
    assert "2 image file(s) are missing or empty" in line and str(bad[0]) in line and str(bad[1]) in line
    assert not (tmp_path / "run").exists()


def _stop_in_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int, action: object) -> None:
    import unreid.engine.unsupervised_trainer as trainer

    real = trainer.train_one_epoch
    calls = {"n": 0}

    def fake(**kwargs: object) -> dict[str, float]:
        if calls["n"] == epoch:
            action()  # type: ignore[operator]
        calls["n"] += 1
        return real(**kwargs)

    monkeypatch.setattr(trainer, "train_one_epoch", fake)


def _raise_ctrl_c() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("action, name", [
    (_raise_ctrl_c, "SIGINT"), (lambda: os.kill(os.getpid(), signal.SIGTERM), "SIGTERM"),
])
def test_interrupt_during_training_keeps_last_epoch(action: object, name: str, monkeypatch: pytest.MonkeyPatch,
                                                    synthetic_root: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    _stop_in_epoch(monkeypatch, 1, action)
    run = tmp_path / "run"
    assert main(tiny_args(run, synthetic_root, train__eval_every=0)) == 130
    [line] = error_lines(caplog)
    assert f"interrupted ({name})" in line and "epoch 0 finished" in line and line.endswith("resume with --resume")
    assert "\n" not in line and not (run / "run.lock").exists()
    assert torch.load(run / "last.pth", weights_only=False)["epoch"] == 0
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_orphan_temp_file_is_removed_on_resume(finished_run: Path, synthetic_root: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    orphan = run / ".last.pth.k3j9x2"
    orphan.write_bytes(b"\0" * 1000)
    assert main(tiny_args(run, synthetic_root) + ["--resume"]) == 0  # nothing left to train: just the report
    assert not orphan.exists()


def test_unknown_key_and_yaml_error_stay_clear(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert main(["train", "--set", "train.epoch=3"]) == 2
    lines = error_lines(caplog)
    assert str(bad) in lines[0] and "train.epoch" in lines[1]


# Issue 17: checkpoints that cannot run code, runs never silently replaced, advice that works.

class _RunsCode:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("touch PWNED",)


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    import unreid.cli.train_run as pipeline

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoding started")

    monkeypatch.setattr(pipeline, "ImageBank", refuse)


def test_resume_from_a_checkpoint_holding_code_refuses_and_runs_nothing(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    state = torch.load(run / "last.pth", weights_only=True)
    torch.save({**state, "history": [_RunsCode()]}, run / "last.pth")
    before = _snapshot(run)
    monkeypatch.chdir(tmp_path)
    _no_decoding(monkeypatch)
    assert main(tiny_args(run, synthetic_root, train__epochs=3) + ["--resume"]) == 2
    [line] = error_lines(caplog)
    assert str(run / "last.pth") in line and "refused" in line and "run code" in line
    assert not (tmp_path / "PWNED").exists() and _snapshot(run) == before


@pytest.mark.parametrize("resume", [["--resume"], ["--resume", "auto"]])
def test_finished_run_without_checkpoints_is_never_replaced(
    resume: list[str], finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "last.pth").unlink()
    (run / "previous.pth").unlink()
    before = _snapshot(run)
    assert main(tiny_args(run, synthetic_root) + resume) == 2
    [line] = error_lines(caplog)
    assert "holds a finished run (model.pth)" in line and "--overwrite" in line
    assert _snapshot(run) == before  # model.pth and metrics.jsonl (2 epochs) untouched


def test_damaged_last_checkpoint_falls_back_to_the_previous_one(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "last.pth").write_bytes(b"\0" * 100)
    (run / "model.pth").unlink()  # an unfinished run: a finished one refuses (test_failure_table_round3)
    assert main(tiny_args(run, synthetic_root, train__eval_every=0) + ["--resume"]) == 0
    assert any("falling back to" in r.getMessage() and "epoch 0 finished" in r.getMessage() for r in caplog.records)
    assert [r["epoch"] for r in read_metrics(run)] == [0, 1]  # epoch 1 redone
    assert load_checkpoint(run / "last.pth", required=("epoch",))["epoch"] == 1


def test_damaged_only_checkpoint_is_found_before_decoding_and_the_advice_works(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "last.pth").write_bytes(b"\0" * 100)
    (run / "previous.pth").unlink()
    before = _snapshot(run)
    with monkeypatch.context() as patch:
        _no_decoding(patch)
        assert main(tiny_args(run, synthetic_root) + ["--resume"]) == 2
    [line] = error_lines(caplog)
    assert str(run / "last.pth") in line and "restore" in line and "--overwrite" in line and "delete it" not in line
    assert _snapshot(run) == before
    assert main(tiny_args(run, synthetic_root, train__epochs=1, train__eval_every=0) + ["--overwrite"]) == 0


def test_resume_with_other_model_and_no_config_refuses_before_writing(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "config.yaml").unlink()
    before = _snapshot(run)
    assert main(tiny_args(run, synthetic_root, model__backbone="resnet34", train__epochs=3) + ["--resume"]) == 2
    [line] = error_lines(caplog)
    assert "model.backbone: 'resnet10t' -> 'resnet34'" in line and "last.pth" in line and "Traceback" not in line
    assert _snapshot(run) == before  # no config.yaml claiming resnet34
    assert main(tiny_args(run, synthetic_root, train__epochs=3, train__eval_every=0) + ["--resume"]) == 0
    assert [r["epoch"] for r in read_metrics(run)] == [0, 1, 2]


def _nan_loss(**kwargs: object) -> dict[str, float]:
    return {"centroid": float("nan")}


def _disk_full(obj: object, handle: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failure, expected, rerun", [
    ("sigint", "interrupted (SIGINT)", []),
    ("dbscan", "DBSCAN found", []),
    ("nan", "the loss is not finite", ["--resume"]),
    ("disk", "No space left on device", ["--resume"]),
])
def test_failure_before_the_first_epoch_gives_advice_that_works(
    failure: str, expected: str, rerun: list[str], monkeypatch: pytest.MonkeyPatch, synthetic_root: Path,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    import unreid.engine.unsupervised_trainer as trainer
    from unreid.io import atomic_file

    run = tmp_path / "run"
    settings: dict[str, object] = {"train__epochs": 1, "train__eval_every": 0}
    with monkeypatch.context() as patch:
        if failure == "sigint":
            _stop_in_epoch(patch, 0, _raise_ctrl_c)
        elif failure == "nan":
            patch.setattr(trainer, "train_one_epoch", _nan_loss)
        elif failure == "disk":
            patch.setattr(atomic_file.torch, "save", _disk_full)
        failing = {**settings, "cluster__eps": 0.0001, "cluster__min_samples": 6} if failure == "dbscan" else settings
        assert main(tiny_args(run, synthetic_root, **failing)) in (3, 130)
    [line] = error_lines(caplog)
    assert expected in line and "\n" not in line and "--resume" not in line.split("; ")[-1]
    assert f"no finished epoch was saved in {run}" in line and line.endswith("run the same command again to start over")
    if failure == "dbscan":
        assert "cluster.eps" in line and "fix the setting, then" in line
    if failure == "disk":
        assert not list(run.glob(".*.pth.*"))
    assert not (run / "last.pth").exists() and not (run / "run.lock").exists()
    caplog.clear()
    assert main(tiny_args(run, synthetic_root, **settings) + rerun) == 0, error_lines(caplog)  # the advice, followed
    assert [r["epoch"] for r in read_metrics(run)] == [0] and (run / "model.pth").is_file()


def test_resume_with_a_new_learning_rate_uses_it(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    assert read_metrics(run)[-1]["lr"] == pytest.approx(3.5e-4)
    args = tiny_args(run, synthetic_root, train__epochs=3, train__lr=1e-3, train__weight_decay=1e-4,
                     train__eval_every=0)
    assert main(args + ["--resume"]) == 0
    assert any("train.lr: 0.00035 -> 0.001" in r.getMessage() and "take effect" in r.getMessage()
               for r in caplog.records)
    assert read_metrics(run)[-1]["lr"] == pytest.approx(1e-3)  # epoch 2 ran at the recorded lr
    groups = load_checkpoint(run / "last.pth")["optimizer"]["param_groups"]
    assert groups[0]["lr"] == pytest.approx(1e-3) and groups[0]["weight_decay"] == pytest.approx(1e-4)
    recorded = json.loads((run / "results.json").read_text())["config"]["train"]
    assert recorded["lr"] == pytest.approx(1e-3) and recorded["weight_decay"] == pytest.approx(1e-4)
    # the finished 2-epoch model is kept, not replaced by the continued run's
    assert (run / "model_epoch2.pth").read_bytes() == (finished_run / "model.pth").read_bytes()
    assert len(load_checkpoint(run / "model.pth")["history"]) == 3


def _one_person_folder(synthetic_root: Path, target: Path) -> Path:
    target.mkdir()
    for i, path in enumerate(sorted((synthetic_root / "bounding_box_train").glob("*.jpg"))[:30]):
        (target / f"0001_c{1 + i % 2}s1_{i:06d}_00.jpg").write_bytes(path.read_bytes())
    return target


@pytest.mark.parametrize("case", ["one identity", "k1 above the data set"])
def test_clustering_conflicts_with_the_data_are_named_before_decoding(
    case: str, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_decoding(monkeypatch)
    if case == "one identity":
        root = _one_person_folder(synthetic_root, tmp_path / "crops")
        args = tiny_args(tmp_path / "run", root, data__dataset="folder",
                         data__folder_pattern=r"(?P<pid>\d+)_c(?P<cam>\d+)")
    else:
        args = tiny_args(tmp_path / "run", synthetic_root, cluster__k1=500)
    assert main(args) == 2
    [line] = error_lines(caplog)
    assert "cluster.eps" not in line and not (tmp_path / "run").exists()
    if case == "one identity":
        assert "all 30 training images carry one person id (1)" in line
    else:
        assert "cluster.k1=500" in line and "at most 82" in line


def test_weights_that_blow_up_blame_the_learning_rate(monkeypatch: pytest.MonkeyPatch, synthetic_root: Path,
                                                      tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import unreid.engine.unsupervised_trainer as trainer

    real = trainer.train_one_epoch

    def diverging(**kwargs: Any) -> dict[str, float]:
        losses = real(**kwargs)
        with torch.no_grad():
            next(kwargs["step"].model.parameters()).mul_(1e6)  # finite but huge, as under train.lr=1
        return losses

    monkeypatch.setattr(trainer, "train_one_epoch", diverging)
    run = tmp_path / "run"
    assert main(tiny_args(run, synthetic_root, train__eval_every=0)) == 3
    [line] = error_lines(caplog)
    assert "epoch 0: the weights blew up" in line and "lower train.lr (now 0.00035)" in line
    assert "cluster.eps" not in line and not (run / "last.pth").exists()


def test_metrics_and_results_are_strict_json(tmp_path: Path) -> None:
    from unreid.engine.run_log import append_metrics, write_json

    def strict(text: str) -> object:
        def refuse(name: str) -> None:
            raise AssertionError(f"bare {name} in JSON")

        return json.loads(text, parse_constant=refuse)

    append_metrics(tmp_path, {"epoch": 0, "mAP": float("nan"), "loss_inter": float("inf")})
    assert strict((tmp_path / "metrics.jsonl").read_text()) == {"epoch": 0, "mAP": None, "loss_inter": None}
    write_json(tmp_path / "results.json", {"after": {"mAP": float("nan")}, "before": {"R1": 0.5}})
    assert strict((tmp_path / "results.json").read_text()) == {"after": {"mAP": None}, "before": {"R1": 0.5}}


@pytest.mark.parametrize("kind", ["under a file", "name too long"])
def test_unwritable_output_dir_is_one_line_before_any_work(kind: str, synthetic_root: Path, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    run = tmp_path / "file" / "run" if kind == "under a file" else tmp_path / ("r" * 300)
    _no_decoding(monkeypatch)
    assert main(tiny_args(run, synthetic_root)) == 2
    [line] = error_lines(caplog)
    assert line.startswith(f"output_dir {str(run)!r}") and ("too long" in line or "is a file" in line)


def test_checkpoint_write_refused_mid_run_is_one_line_and_the_advice_works(
    monkeypatch: pytest.MonkeyPatch, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    from unreid.engine.checkpoint import LAST
    from unreid.io import atomic_file

    run = tmp_path / "run"
    real_mkstemp = atomic_file.tempfile.mkstemp
    calls = {"n": 0}

    def refuse_second(*args: Any, **kwargs: Any) -> tuple[int, str]:
        # counts last.pth writes only: best.pth (model selection) is written before each of them
        if kwargs.get("prefix") == atomic_file.temporary_prefix(run / LAST):
            calls["n"] += 1
            if calls["n"] == 2:  # epoch 1's checkpoint: the folder became read-only meanwhile
                raise PermissionError(errno.EACCES, "Permission denied", str(run / f"{kwargs['prefix']}x1"))
        return real_mkstemp(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(atomic_file.tempfile, "mkstemp", refuse_second)
        assert main(tiny_args(run, synthetic_root, train__eval_every=0)) == 3
    [line] = error_lines(caplog)
    assert "cannot write" in line and "Permission denied" in line and str(run) in line and "\n" not in line
    assert "epoch 0 finished" in line and line.endswith("then resume with --resume")
    assert main(tiny_args(run, synthetic_root, train__eval_every=0) + ["--resume"]) == 0
    assert [r["epoch"] for r in read_metrics(run)] == [0, 1]


def test_saved_features_keep_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    from unreid.data.records import Record
    from unreid.engine.feature_dump import load_epoch_features, save_epoch_features

    name = os.fsdecode(b"0001_c1s1_caf\xe9_00.jpg")  # Latin-1 bytes: '\udce9' in the str
    records = [Record(tmp_path / name, 1, 0), Record(tmp_path / "0002_c2s1_000001_00.jpg", 2, 1)]
    path = save_epoch_features(run_dir=tmp_path, epoch=0, features=torch.eye(2), records=records)
    _, loaded = load_epoch_features(path)
    assert loaded == records and os.fsencode(loaded[0].path).endswith(b"caf\xe9_00.jpg")
