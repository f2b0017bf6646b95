"""The learning curve of CPU runs: mAP against cumulative wall time, one line per run folder.

usage: python scripts/cpu_curve.py OUT.png RUN_DIR [RUN_DIR ...] [--labels a b ...]

Time is the sum of each epoch's logged stages (``time_extract``, ``time_jaccard``, ``time_dbscan``,
``time_train``, ``time_eval``) from ``metrics.jsonl``; the point at 0 is the untrained model
(``results.json`` ``before``). Wall times depend on what else ran on the machine: say so beside the plot.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def curve(run: Path, *, by_epoch: bool = False) -> tuple[list[float], list[float]]:
    """Cumulative seconds (or epochs) and mAP (percent) at each evaluated epoch, from the untrained model."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    results = run / "results.json"
    before = json.loads(results.read_text(encoding="utf-8")).get("before", {}) if results.is_file() else {}
    times, maps = ([0.0], [100 * before["mAP"]]) if "mAP" in before else ([], [])
    elapsed = 0.0
    for row in rows:
        elapsed += 60.0 if by_epoch else sum(v for k, v in row.items() if k.startswith("time_"))
        if "mAP" in row:
            times.append(elapsed)
            maps.append(100 * row["mAP"])
    return times, maps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--labels", nargs="*", default=None)
    parser.add_argument("--title", default="market1501-dev on 2 CPU cores")
    parser.add_argument("--by-epoch", action="store_true", help="x = epochs (for runs timed under load)")
    parser.add_argument("--target-map", type=float, default=None, help="a dashed line at this mAP (e.g. 40)")
    parser.add_argument("--budget-min", type=float, default=None, help="a dashed line at this many minutes (e.g. 20)")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, run in enumerate(args.runs):
        times, maps = curve(run, by_epoch=args.by_epoch)
        label = args.labels[i] if args.labels and i < len(args.labels) else run.name
        ax.plot([t / 60 for t in times], maps, marker="o", label=label)
    if args.target_map is not None:
        ax.axhline(args.target_map, color="grey", linestyle="--", linewidth=1)
    if args.budget_min is not None and not args.by_epoch:
        ax.axvline(args.budget_min, color="grey", linestyle="--", linewidth=1)
    xlabel = "epochs" if args.by_epoch else "wall time (min, summed epoch stages)"
    ax.set(xlabel=xlabel, ylabel="mAP (%)", title=args.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
