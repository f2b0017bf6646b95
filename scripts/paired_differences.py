"""Paired differences by seed: each variant's final mAP / R1 minus the baseline's of the same seed.

usage: python scripts/paired_differences.py OUT --baseline recipe [--append RESULTS.md]

OUT holds run folders ``<variant>_s<seed>`` (``scripts/cpu_experiments.sh``); only finished runs
(``results.json``) count, and only seeds that both the variant and the baseline finished. Pairing
by seed removes the seed-to-seed spread the two runs share (same initial clustering order, same
batches while the pseudo-labels agree), so the std of the differences is the one to judge.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path


def final_metrics(out: Path) -> dict[str, dict[int, dict[str, float]]]:
    """``{variant: {seed: {"mAP": .., "R1": .., "wall_s": ..}}}`` in percent, from ``results.json``."""
    runs: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for run in sorted(p for p in out.iterdir() if p.is_dir()):
        match = re.fullmatch(r"(.+)_s(\d+)", run.name)
        if not match or not (run / "results.json").is_file():
            continue
        result = json.loads((run / "results.json").read_text(encoding="utf-8"))
        after = result.get("after") or {}
        if "mAP" in after:
            runs[match.group(1)][int(match.group(2))] = {"mAP": 100 * after["mAP"], "R1": 100 * after["R1"],
                                                         "wall_s": float(result.get("wall_time_s", "nan"))}
    return runs


def paired_table(runs: dict[str, dict[int, dict[str, float]]], *, baseline: str) -> list[str]:
    if baseline not in runs:
        return [f"(no finished runs of the baseline {baseline!r})"]
    lines = [f"| variant - {baseline} | seeds | per seed mAP | mAP diff | R1 diff |", "|---|---|---|---:|---:|"]

    def fmt(values: list[float]) -> str:
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.fmean(values):+.1f} ± {std:.1f}"

    for name, seeds in runs.items():
        shared = sorted(set(seeds) & set(runs[baseline]))
        if name == baseline or not shared:
            continue
        d_map = [seeds[s]["mAP"] - runs[baseline][s]["mAP"] for s in shared]
        d_r1 = [seeds[s]["R1"] - runs[baseline][s]["R1"] for s in shared]
        per_seed = ", ".join(f"s{s} {d:+.1f}" for s, d in zip(shared, d_map))
        lines.append(f"| {name} | {len(shared)} | {per_seed} | {fmt(d_map)} | {fmt(d_r1)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--baseline", default="recipe")
    parser.add_argument("--append", type=Path, default=None)
    args = parser.parse_args()
    lines = paired_table(final_metrics(args.out), baseline=args.baseline)
    print("\n".join(lines))
    if args.append and len(lines) > 2:
        with open(args.append, "a", encoding="utf-8") as handle:
            handle.write("\nPaired by seed (final epoch):\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
