"""``unreid report table``: one Markdown row per finished run, in the column layout of RESULTS.md."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from unreid.losses.levels import level_names
from unreid.report.run_folders import read_results

HEADER = ("| date | run | device | data | config | mAP | R1 | R5 | mINP | wall | note |\n"
          "|---|---|---|---|---|---:|---:|---:|---:|---:|---|")


def describe_config(config: dict[str, Any]) -> str:
    """A one-line summary of a run's resolved config: backbone, size, loss levels, generator, schedule, seed, eps."""
    loss, gen = config.get("loss", {}), config.get("generator", {})
    levels = "+".join(name for name in level_names() if loss.get(name)) or "none"  # each level's on/off switch
    kind = gen.get("kind", "color") if gen.get("enabled") else "none"
    source = f"({Path(gen['generated_dir']).name})" if gen.get("generated_dir") and kind != "none" else ""
    model, data, train = config.get("model", {}), config.get("data", {}), config.get("train", {})
    return (f"{model.get('backbone', '?')} {data.get('height', '?')}x{data.get('width', '?')} "
            f"{levels} gen-{kind}{source} ep{train.get('epochs', '?')}x{train.get('iterations', '?')} "
            f"seed{train.get('seed', '?')} eps{config.get('cluster', {}).get('eps', '?')}")


def table_rows(runs: Sequence[Path], *, note: str = "", date: str | None = None) -> list[str]:
    """One row per run (a run folder or its ``results.json``); metrics in percent.

    Raises:
        ValueError: a run has no ``results.json`` or it lacks the final metrics.
    """
    today = date or datetime.date.today().isoformat()
    lines = []
    for path in runs:
        result = read_results(path)
        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        after = result.get("after") or {}
        missing = [key for key in ("mAP", "R1", "R5", "mINP") if after.get(key) is None]
        if missing or "config" not in result:
            raise ValueError(f"{folder}: results.json has no final {', '.join(missing) or 'config'}; "
                             "give runs that were evaluated at their end")
        config = result["config"]
        lines.append(
            f"| {today} | {folder.name} | {result.get('device_name', result.get('device', '?'))} "
            f"| {config.get('data', {}).get('dataset', '?')} | {describe_config(config)} "
            f"| {100 * after['mAP']:.1f} | {100 * after['R1']:.1f} | {100 * after['R5']:.1f} "
            f"| {100 * after['mINP']:.1f} | {float(result.get('wall_time_s', float('nan'))):.0f} s | {note} |"
        )
    return lines
