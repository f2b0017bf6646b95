"""Reading run folders: the ``<variant>_s<seed>`` name, ``metrics.jsonl`` and ``results.json``.

Experiment drivers (``scripts/cpu_experiments.sh``, ``scripts/gpu_window.sh``) write one folder per
run named ``<variant>_s<seed>``; every report finds runs through :func:`find_runs` so that the name
is parsed in one place, and reads files through :func:`read_results` / :func:`read_metrics`, which
name the file and the fix when it is not what a training run writes.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unreid.engine.run_log import METRICS_FILE, read_metrics

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.json"
_RUN_NAME = re.compile(r"(?P<variant>.+)_s(?P<seed>\d+)")


@dataclass(frozen=True)
class RunFolder:
    """One run folder named ``<variant>_s<seed>``."""

    path: Path
    variant: str
    seed: int

    @property
    def finished(self) -> bool:
        """The run wrote ``results.json`` (it ran to its last epoch)."""
        return (self.path / RESULTS_FILE).is_file()


def parse_run_name(name: str) -> tuple[str, int] | None:
    """``(variant, seed)`` of a folder name ``<variant>_s<seed>``, ``None`` for any other name.

    >>> parse_run_name("three_levels_s2")
    ('three_levels', 2)
    """
    match = _RUN_NAME.fullmatch(name)
    return (match["variant"], int(match["seed"])) if match else None


def _check_folder(folder: Path) -> None:
    if not Path(folder).is_dir():
        raise ValueError(f"{folder}: no such folder; give a folder that holds run folders <variant>_s<seed>")


def find_runs(out_dirs: Iterable[Path], *, finished_only: bool = False) -> dict[str, list[RunFolder]]:
    """Run folders by variant, in folder then name order; only those with ``metrics.jsonl`` or ``results.json``.

    Args:
        out_dirs: folders holding run folders; one variant's seeds may be spread over several.
        finished_only: keep only runs with ``results.json``.

    Raises:
        ValueError: an ``out_dirs`` entry is not a folder.
    """
    runs: dict[str, list[RunFolder]] = defaultdict(list)
    for out in out_dirs:
        _check_folder(out)
        for path in sorted(p for p in Path(out).iterdir() if p.is_dir()):
            parsed = parse_run_name(path.name)
            if parsed is None:
                continue
            run = RunFolder(path=path, variant=parsed[0], seed=parsed[1])
            if run.finished or (not finished_only and (path / METRICS_FILE).is_file()):
                runs[run.variant].append(run)
    return dict(runs)


def read_results(path: Path) -> dict[str, Any]:
    """The ``results.json`` of a run: ``path`` is the file or its run folder.

    Raises:
        ValueError: the file is missing or not a JSON object.
    """
    file = Path(path) / RESULTS_FILE if Path(path).is_dir() else Path(path)
    if not file.is_file():
        raise ValueError(f"{file}: no such file; give finished run folders (training writes {RESULTS_FILE} at its end)")
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{file}: not valid JSON ({error}); re-run the training or remove the file") from error
    if not isinstance(value, dict):
        raise ValueError(f"{file}: expected a JSON object as written by `unreid train`")
    return value


def read_run_metrics(run: Path) -> list[dict[str, Any]]:
    """The rows of a run's ``metrics.jsonl`` (empty if there is none).

    Raises:
        ValueError: a line is not valid JSON.
    """
    try:
        return read_metrics(Path(run))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        path = Path(run) / METRICS_FILE
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        bad = next((number for number, line in enumerate(lines, 1) if line.strip() and not _is_json(line)), 0)
        raise ValueError(f"{path}: line {bad} is not valid JSON ({error}); "
                         "remove the broken line (a run killed while writing)") from error


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True
