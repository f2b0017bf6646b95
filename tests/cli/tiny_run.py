"""Helpers for the tiny CLI runs of the reliability tests (fixtures are in ``conftest.py``)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from tiny_settings import TINY_SETTINGS, as_overrides


def tiny_args(output_dir: Path, data_root: Path, **changes: object) -> list[str]:
    """``unreid train`` arguments for the tiny run; ``changes`` use ``section__key`` for ``section.key``."""
    settings: dict[str, object] = {"output_dir": output_dir, "data.root": data_root, **TINY_SETTINGS}
    settings.update({key.replace("__", "."): value for key, value in changes.items()})
    return ["train", "--no-progress"] + [arg for item in as_overrides(settings) for arg in ("--set", item)]


def copy_run(run: Path, target: Path) -> Path:
    shutil.copytree(run, target)
    return target


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
