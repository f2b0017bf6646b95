"""How the label-free score tracks true mAP: per run, the epoch it keeps against the best epoch by labels.

usage: python scripts/model_selection_report.py RUN_DIR... [--plot out.png]

Each RUN_DIR is a training run with ``metrics.jsonl`` (evaluated every epoch, ``train.eval_every=1``,
for the comparison to be exact). Prints one row per run: final, best-by-labels and kept (by
``lf_score``) epoch and mAP, the gap kept - best, and the rank correlation of score and mAP over epochs;
``--plot`` draws score and mAP by epoch, one panel per run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from unreid.engine.run_log import read_metrics
from unreid.evaluation.label_free_score import SCORE_KEY


def selection_row(run: Path) -> dict[str, Any]:
    """Final, best-by-labels and label-free-kept epochs of one run, with their mAP (in %)."""
    rows = [r for r in read_metrics(run) if "mAP" in r and SCORE_KEY in r]
    if not rows:
        raise SystemExit(f"{run}: no epoch has both mAP and {SCORE_KEY}; train with train.eval_every=1")
    best = max(rows, key=lambda r: r["mAP"])
    kept = max(rows, key=lambda r: r[SCORE_KEY])
    final = rows[-1]
    rho = spearmanr([r[SCORE_KEY] for r in rows], [r["mAP"] for r in rows]).statistic if len(rows) > 2 else float("nan")
    return {"run": run.name, "final_epoch": final["epoch"], "final": 100 * final["mAP"], "best_epoch": best["epoch"],
            "best": 100 * best["mAP"], "kept_epoch": kept["epoch"], "kept": 100 * kept["mAP"],
            "gap": 100 * (kept["mAP"] - best["mAP"]), "spearman": float(rho), "rows": rows}


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(runs))
    fig, axes = plt.subplots((len(runs) + cols - 1) // cols, cols, figsize=(4.2 * cols, 3.2 * ((len(runs) + cols - 1) // cols)),
                             squeeze=False)
    for ax, run in zip(axes.flat, runs):
        epochs = [r["epoch"] for r in run["rows"]]
        ax.plot(epochs, [100 * r["mAP"] for r in run["rows"]], "o-", color="tab:blue", label="mAP (labels)")
        ax.set_ylabel("mAP %", color="tab:blue")
        twin = ax.twinx()
        twin.plot(epochs, [r[SCORE_KEY] for r in run["rows"]], "s--", color="tab:orange", label=SCORE_KEY)
        twin.set_ylabel("label-free score", color="tab:orange")
        ax.axvline(run["kept_epoch"], color="tab:orange", alpha=0.4, lw=3)
        ax.set_title(f"{run['run']}: kept {run['kept']:.1f}, best {run['best']:.1f}", fontsize=9)
        ax.set_xlabel("epoch")
    for ax in list(axes.flat)[len(runs):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    runs = [selection_row(run) for run in args.runs]
    print("| run | final (epoch) | best by labels (epoch) | kept by lf_score (epoch) | kept - best | Spearman score~mAP |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in runs:
        print(f"| {r['run']} | {r['final']:.1f} ({r['final_epoch']}) | {r['best']:.1f} ({r['best_epoch']}) | "
              f"{r['kept']:.1f} ({r['kept_epoch']}) | {r['gap']:+.1f} | {r['spearman']:.2f} |")
    gaps = np.array([r["gap"] for r in runs])
    print(f"kept - best: mean {gaps.mean():+.2f}, worst {gaps.min():+.2f} over {len(runs)} runs")
    if args.plot:
        plot(runs, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
