"""``kill -9`` ten times, then ``--resume``: no finished epoch is lost and the metrics equal
those of an uninterrupted run, bit for bit (same seed, one CPU thread).

Four kills are placed in each phase of an epoch for certain (a checkpoint write, feature
extraction, clustering, a training step), six more at random moments.

Runs are forked children of the test process (no interpreter start-up per run), each
calling ``unreid train`` as a user would, with its stderr in a log file.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pytest
import torch
from tiny_run import tiny_args
from tqdm.std import tqdm

import unreid.cli.train_run  # noqa: F401 - imported once here; the forked runs inherit it
from unreid.cli.main import main
from unreid.engine.run_log import read_metrics

matplotlib.use("Agg")
import matplotlib.pyplot

RANDOM_KILLS = 6
TARGETED = ("checkpoint write", "extraction", "clustering", "training step")


def _kill_on_call(module: Any, name: str, call: int, *, half_write: bool = False,
                  counted: Callable[..., bool] = lambda *args: True) -> None:
    """SIGKILL this process on the ``call``-th call of ``module.name`` among those ``counted`` accepts (after
    half a write for ``torch.save``)."""
    real = getattr(module, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if counted(*args):
            calls[0] += 1
        if calls[0] == call and counted(*args):
            if half_write:
                buffer = io.BytesIO()
                real(args[0], buffer)
                args[1].write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
                args[1].flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    setattr(module, name, wrapper)


def _is_resume_state(obj: object, *args: object) -> bool:
    """Whether ``torch.save(obj, ...)`` writes ``last.pth``: only the trainer's state for --resume holds an optimizer."""
    return isinstance(obj, dict) and "optimizer" in obj


def _kill_in(phase: str) -> None:
    """Arrange a SIGKILL in ``phase`` of the second epoch (epoch 1), or during its checkpoint write."""
    import unreid.engine.batch_stream as batch_stream
    import unreid.engine.pseudo_labeller as pseudo_labeller
    import unreid.engine.unsupervised_trainer as trainer

    if phase == "checkpoint write":
        # the 2nd last.pth write (the 1st: epoch 0's); best.pth, written just before each, is not counted
        _kill_on_call(torch, "save", 2, half_write=True, counted=_is_resume_state)
    elif phase == "extraction":
        _kill_on_call(trainer, "extract_features", 1)  # a resumed run starts with epoch 1's extraction
    elif phase == "clustering":
        _kill_on_call(pseudo_labeller, "cluster_features", 1)
    elif phase == "training step":
        _kill_on_call(batch_stream, "train_augment", 2)


def _train(args: list[str], log: str, phase: str) -> None:
    # A shell without job control starts background commands (and so pytest and this child) with
    # SIGINT ignored; a user's `unreid train` in a terminal has Python's handler: restore that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stderr = open(log, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - the child's whole life
    os.dup2(sys.stderr.fileno(), 2)
    root = logging.getLogger()
    for handler in list(root.handlers):  # the parent's pytest handlers; main() installs its own
        root.removeHandler(handler)
    # tqdm's default lock is a multiprocessing semaphore shared with the parent across fork; a child
    # killed while one of its threads (tqdm's monitor) holds it would leave it taken and hang the
    # parent's next progress bar. A process-local lock keeps the SIGKILLs to this child.
    tqdm.set_lock(threading.RLock())  # the base class: every tqdm flavour reads its lock there
    tqdm.monitor_interval = 0
    if phase:
        _kill_in(phase)
    sys.exit(main(args))


def _start(args: list[str], log: Path, phase: str = "") -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("fork").Process(target=_train, args=(args, str(log), phase))
    process.start()
    return process


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if not k.startswith("time_")} for row in rows]


def _last_line(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    return lines[-1][:90] if lines else "(start-up)"


@pytest.mark.slow
def test_ten_sigkills_then_resume_equals_uninterrupted_run(synthetic_root: Path, tmp_path: Path) -> None:
    settings = {"train__epochs": 3, "train__eval_every": 2, "train__iterations": 3}
    start = time.perf_counter()
    reference = _start(tiny_args(tmp_path / "reference", synthetic_root, **settings), tmp_path / "reference.log")
    reference.join(300)
    duration = time.perf_counter() - start
    assert reference.exitcode == 0, (tmp_path / "reference.log").read_text()[-3000:]

    run, log = tmp_path / "killed", tmp_path / "killed.log"
    args = tiny_args(run, synthetic_root, **settings) + ["--resume", "auto"]
    for phase in TARGETED:  # one kill in each phase, for sure
        process = _start(args, log, phase)
        process.join(300)
        assert process.exitcode == -signal.SIGKILL, (phase, log.read_text()[-3000:])
        assert torch.load(run / "last.pth", weights_only=False)["epoch"] == 0  # epoch 0 kept, epoch 1 not saved
        if phase == "checkpoint write":
            assert list(run.glob(".last.pth.*"))  # the half-written temporary file of the killed write
    assert not list(run.glob(".last.pth.*"))  # removed by the next run
    rng = random.Random(11)
    moments: list[str] = []
    while True:
        process = _start(args, log)
        if len(moments) < RANDOM_KILLS:
            process.join(rng.uniform(0.05, 0.6) * duration)
            if process.is_alive():
                moments.append(_last_line(log))
                os.kill(process.pid, signal.SIGKILL)
                process.join()
                epochs_done = [r["epoch"] for r in read_metrics(run)]
                assert epochs_done == list(range(len(epochs_done)))  # never a gap or a repeated epoch
                continue
        else:
            process.join(300)
        assert process.exitcode == 0, log.read_text()[-3000:]
        if len(moments) >= RANDOM_KILLS:
            break
        # finished before enough kills: start over in a new folder, keep counting kills
        run = tmp_path / f"killed{len(moments)}"
        args = tiny_args(run, synthetic_root, **settings) + ["--resume", "auto"]
    print("killed after:", *moments, sep="\n  ")
    assert len(moments) + len(TARGETED) >= 10
    assert _comparable(read_metrics(run)) == _comparable(read_metrics(tmp_path / "reference"))
    ours = torch.load(run / "model.pth", weights_only=False)["model"]
    theirs = torch.load(tmp_path / "reference" / "model.pth", weights_only=False)["model"]
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    assert not list(run.glob(".*.pth.*")) and not (run / "run.lock").exists()


@pytest.mark.slow
def test_real_sigint_ends_with_one_line_and_an_intact_checkpoint(synthetic_root: Path, tmp_path: Path) -> None:
    run, log = tmp_path / "run", tmp_path / "run.log"
    process = _start(tiny_args(run, synthetic_root, train__epochs=40, train__eval_every=0), log)
    deadline = time.time() + 120
    while time.time() < deadline and len(read_metrics(run)) < 2 and process.is_alive():
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGINT)
    process.join(120)
    text = log.read_text()
    assert process.exitcode == 130, text[-3000:]
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert "Traceback" not in text and len(errors) == 1
    assert "interrupted (SIGINT)" in errors[0] and errors[0].endswith("resume with --resume")
    rows = read_metrics(run)
    state = torch.load(run / "last.pth", weights_only=False)  # loads: the write was finished or never begun
    assert state["epoch"] in (rows[-1]["epoch"], rows[-1]["epoch"] - 1)  # metrics are appended just before it
    assert not list(run.glob(".*.pth.*")) and not (run / "run.lock").exists()
