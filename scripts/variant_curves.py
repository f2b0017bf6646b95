"""Per-epoch curves of named variants over seeds: mAP, cluster count, pseudo-label precision and recall.

usage: python scripts/variant_curves.py OUT.png OUT_DIR [OUT_DIR ...] [--variants a b ...] [--people 501]

Every OUT_DIR holds run folders named ``<variant>_s<seed>`` (``scripts/cpu_experiments.sh``); folders of
one variant may sit in several OUT_DIRs. Each panel draws the mean over seeds by epoch and a band from
the lowest to the highest seed; the legend says how many seeds each variant has. ``--people`` draws the
true identity count on the cluster panel.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

from unreid.engine.run_log import read_metrics

PANELS = (("mAP", "mAP (%)", 100.0), ("clusters", "clusters", 1.0),
          ("pl_precision", "pair precision", 1.0), ("pl_recall", "pair recall", 1.0))
RUN_NAME = re.compile(r"(?P<variant>.+)_s(?P<seed>\d+)$")


def find_runs(out_dirs: list[Path]) -> dict[str, list[Path]]:
    """Run folders by variant name, seeds sorted; folders without ``metrics.jsonl`` are left out."""
    runs: dict[str, list[Path]] = defaultdict(list)
    for out in out_dirs:
        for run in sorted(out.iterdir()):
            match = RUN_NAME.match(run.name)
            if match and (run / "metrics.jsonl").is_file():
                runs[match["variant"]].append(run)
    return dict(runs)


def by_epoch(runs: list[Path], key: str, *, scale: float = 1.0) -> dict[int, list[float]]:
    """Every seed's value of ``key`` at each epoch where it was logged (mAP: the evaluated epochs only)."""
    values: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        for row in read_metrics(run):
            if key in row:
                values[int(row["epoch"])].append(scale * float(row[key]))
    return dict(sorted(values.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("dirs", type=Path, nargs="+")
    parser.add_argument("--variants", nargs="*", default=None, help="which variants, in this order (default: all)")
    parser.add_argument("--people", type=int, default=None, help="true identity count, drawn on the cluster panel")
    parser.add_argument("--title", default="market1501-dev on 2 CPU cores")
    args = parser.parse_args()
    runs = find_runs(args.dirs)
    names = args.variants or sorted(runs)
    missing = [name for name in names if name not in runs]
    if missing:
        raise SystemExit(f"no run folders <variant>_s<seed> with metrics.jsonl for {missing} in {args.dirs}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.4))
    for ax, (key, label, scale) in zip(axes, PANELS):
        for name in names:
            values = by_epoch(runs[name], key, scale=scale)
            epochs = [e + 1 for e in values]
            mean = [sum(v) / len(v) for v in values.values()]
            line, = ax.plot(epochs, mean, marker="o", markersize=3, label=f"{name} ({len(runs[name])} seeds)")
            ax.fill_between(epochs, [min(v) for v in values.values()], [max(v) for v in values.values()],
                            color=line.get_color(), alpha=0.15)
        if key == "clusters" and args.people:
            ax.axhline(args.people, color="grey", linestyle="--", linewidth=1)
        ax.set(xlabel="epoch", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"saved {args.out}: {', '.join(f'{n} x{len(runs[n])}' for n in names)}")


if __name__ == "__main__":
    main()
