"""``unreid report paired``: each variant's final mAP / R1 minus the baseline's of the same seed.

Only finished runs (``results.json``) count, and only seeds that both the variant and the baseline
finished. Pairing by seed removes the spread the two runs share (same initial clustering order, same
batches while the pseudo-labels agree), so the std of the differences is the one to judge by: a
variant is a gain when its mean difference exceeds twice that std (:func:`unreid.report.spread.gain_verdict`).
"""

from __future__ import annotations

from pathlib import Path

from unreid.report.run_folders import find_runs, read_results
from unreid.report.spread import GAIN_FACTOR, format_mean_std, gain_verdict

FinalMetrics = dict[str, dict[int, dict[str, float]]]
"""``{variant: {seed: {"mAP": .., "R1": ..}}}`` in percent."""


def final_metrics(out: Path) -> FinalMetrics:
    """The final mAP and R1 (percent) of every finished run under ``out``, by variant and seed."""
    metrics: FinalMetrics = {}
    for variant, runs in find_runs([out], finished_only=True).items():
        for run in runs:
            after = read_results(run.path).get("after") or {}
            if after.get("mAP") is not None and after.get("R1") is not None:
                metrics.setdefault(variant, {})[run.seed] = {"mAP": 100 * after["mAP"], "R1": 100 * after["R1"]}
    return metrics


def paired_table(metrics: FinalMetrics, *, baseline: str) -> list[str]:
    """The header and one row per variant sharing at least one seed with ``baseline``."""
    if baseline not in metrics:
        return [f"(no finished runs of the baseline {baseline!r}; variants: {', '.join(sorted(metrics)) or 'none'})"]
    factor = f"{GAIN_FACTOR:g}"
    lines = [f"| variant - {baseline} | seeds | per seed mAP | mAP diff | R1 diff | a gain (> {factor} x paired std)? |",
             "|---|---|---|---:|---:|---|"]
    base = metrics[baseline]
    for name, seeds in metrics.items():
        shared = sorted(set(seeds) & set(base))
        if name == baseline or not shared:
            continue
        d_map = [seeds[s]["mAP"] - base[s]["mAP"] for s in shared]
        d_r1 = [seeds[s]["R1"] - base[s]["R1"] for s in shared]
        per_seed = ", ".join(f"s{s} {d:+.1f}" for s, d in zip(shared, d_map, strict=True))
        lines.append(f"| {name} | {len(shared)} | {per_seed} | {format_mean_std(d_map, signed=True)} "
                     f"| {format_mean_std(d_r1, signed=True)} | {gain_verdict(d_map)} |")
    return lines
