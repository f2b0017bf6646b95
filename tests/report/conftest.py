"""Tiny synthetic run folders: ``metrics.jsonl`` rows and a ``results.json`` as ``unreid train`` writes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WriteRun = Callable[..., Path]


def _config(seed: int) -> dict[str, Any]:
    return {"model": {"backbone": "resnet18"}, "data": {"dataset": "synthetic", "height": 128, "width": 64},
            "loss": {"centroid": 1.0, "intra": 0.5, "inter": 0.0}, "generator": {"enabled": False},
            "train": {"epochs": 2, "iterations": 10, "seed": seed}, "cluster": {"eps": 0.5}}


@pytest.fixture
def write_run() -> WriteRun:
    """``write_run(folder, rows=[...], final={"mAP": .., "R1": ..})``: ``final`` None leaves the run unfinished."""

    def write(folder: Path, *, rows: list[dict[str, Any]] | None = None,
              final: dict[str, float] | None = None, seed: int = 0) -> Path:
        folder.mkdir(parents=True)
        if rows is not None:
            (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        if final is not None:
            after = {"R5": 0.0, "mINP": 0.0, **final}
            result = {"after": after, "config": _config(seed), "device": "cpu", "wall_time_s": 12.4}
            (folder / "results.json").write_text(json.dumps(result), encoding="utf-8")
        return folder

    return write
