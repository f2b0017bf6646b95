"""Helpers for the tiny CLI runs of the reliability tests (fixtures are in ``conftest.py``)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

TINY_SETTINGS = {
    "data.dataset": "synthetic", "data.synthetic_identities": 20, "data.height": 32, "data.width": 16,
    "model.backbone": "resnet10t", "model.samples_per_bn": 16,
    "cluster.k1": 6, "cluster.k2": 2, "cluster.min_samples": 2, "cluster.eps": 0.5,
    "train.epochs": 2, "train.iterations": 3, "train.num_identities": 4, "train.num_instances": 4,
    "train.device": "cpu", "train.amp": "none", "train.channels_last": False, "train.eval_every": 1,
    "train.threads": 1, "train.lr_step": 10, "generator.enabled": False, "eval.batch_size": 64,
    "eval.grid_queries": 2,
}
"""A run of about 3 s on one CPU thread (83 training images, 2 epochs of 3 steps)."""


def tiny_args(output_dir: Path, data_root: Path, **changes: object) -> list[str]:
    """``unreid train`` arguments for the tiny run; ``changes`` use ``section__key`` for ``section.key``."""
    settings: dict[str, object] = {"output_dir": output_dir, "data.root": data_root, **TINY_SETTINGS}
    settings.update({key.replace("__", "."): value for key, value in changes.items()})
    args = ["train", "--no-progress"]
    for key, value in settings.items():
        args += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    return args


def copy_run(run: Path, target: Path) -> Path:
    shutil.copytree(run, target)
    return target


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
