"""``unreid report summary``: mean ± std per variant over seeds, from run folders ``<variant>_s<seed>``.

For each variant: the final mAP and R1, the best epoch's mAP, the drop from best to final, the final
cluster count and the pseudo-label pair precision / recall, each as mean ± sample std over seeds.
Only finished runs (``results.json``) count unless ``partial``, which also takes unfinished runs (one
stopped by a GPU window's deadline) at their last evaluated epoch.
"""

from __future__ import annotations

from pathlib import Path

from unreid.report.run_folders import find_runs, read_run_metrics
from unreid.report.spread import format_mean_std

HEADER = ["| variant | seeds | epochs | mAP | R1 | best-epoch mAP | best - final | clusters | precision | recall |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]


def run_summary(run: Path) -> dict[str, float] | None:
    """The values one run contributes (mAP in percent), ``None`` if no epoch was evaluated."""
    rows = read_run_metrics(run)
    evaluated = [r for r in rows if r.get("mAP") is not None]
    if not evaluated:
        return None
    final, best = evaluated[-1], max(evaluated, key=lambda r: r["mAP"])

    def value(key: str) -> float:
        return float("nan") if final.get(key) is None else float(final[key])

    return {"mAP": 100 * final["mAP"], "R1": 100 * value("R1"), "best": 100 * best["mAP"],
            "drop": 100 * (best["mAP"] - final["mAP"]), "clusters": value("clusters"),
            "precision": value("pl_precision"), "recall": value("pl_recall"), "epochs": float(len(rows))}


def summary_table(out: Path, *, partial: bool = False) -> list[str]:
    """The header and one row per variant with at least one evaluated run."""
    by_variant: dict[str, list[dict[str, float]]] = {}
    for variant, runs in find_runs([out], finished_only=not partial).items():
        items = [s for s in (run_summary(run.path) for run in runs) if s is not None]
        if items:
            by_variant[variant] = items
    lines = list(HEADER)
    for name, items in by_variant.items():
        col = {key: [item[key] for item in items] for key in items[0]}
        lines.append(
            f"| {name} | {len(items)} | {int(col['epochs'][0])} | {format_mean_std(col['mAP'])} "
            f"| {format_mean_std(col['R1'])} | {format_mean_std(col['best'])} | {format_mean_std(col['drop'])} "
            f"| {format_mean_std(col['clusters'], digits=0)} | {format_mean_std(col['precision'], digits=2)} "
            f"| {format_mean_std(col['recall'], digits=2)} |"
        )
    return lines
