"""``unreid config options|show`` print the one definition of each option and the resolved tree."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest
import yaml

from unreid.cli.config_command import option_rows
from unreid.cli.main import main
from unreid.config import RunConfig


def _leaf_keys(section: object, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(section):  # type: ignore[arg-type]
        value = getattr(section, f.name)
        keys += _leaf_keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else [f"{prefix}{f.name}"]
    return keys


def test_every_option_has_help_and_is_listed_once() -> None:
    rows = option_rows()
    assert [r[0] for r in rows] == _leaf_keys(RunConfig())
    assert all(r[3] for r in rows), [r[0] for r in rows if not r[3]]
    by_key = {r[0]: r for r in rows}
    assert by_key["cluster.method"][1] == "choice (sparse | dense)"
    assert by_key["cluster.eps"][1] == "float (a number in (0.0, 1.0))" and by_key["cluster.eps"][2] == "0.6"


def test_show_prints_the_resolved_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--config", "market1501", "--set", "train.epochs=3"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["train"]["epochs"] == 3 and shown["train"]["compile"] is True and shown["cluster"]["method"] == "sparse"
    assert main(["config", "options", "generator"]) == 0
    assert "generator.training.steps" in capsys.readouterr().out
    assert main(["config", "options", "nope"]) == 2


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """`unreid config options | head -1`: the reader is gone; no traceback, the shell's 141 status."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "unreid.cli.main", "config", "options"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert "Traceback" not in done.stderr
