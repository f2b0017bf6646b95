"""Per-epoch metrics: a JSON-lines file and plots of mAP, clusters and losses over epochs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


def append_metrics(run_dir: Path, row: dict[str, Any]) -> None:
    """Append one epoch's metrics as a JSON line."""
    with open(Path(run_dir) / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, sort_keys=True) + "\n")


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def truncate_metrics(run_dir: Path, *, last_epoch: int) -> None:
    """Keep only epochs ``<= last_epoch`` (a resumed run re-does the later ones)."""
    rows = [r for r in read_metrics(run_dir) if r.get("epoch", -1) <= last_epoch]
    path = Path(run_dir) / METRICS_FILE
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def plot_metrics(run_dir: Path) -> Path | None:
    """Draw ``training_curves.png``: mAP/R1, clusters/outliers and each loss level per epoch."""
    rows = read_metrics(run_dir)
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ax = axes[0]
    for key, label in (("mAP", "mAP"), ("R1", "Rank-1")):
        pts = [(r["epoch"], 100 * r[key]) for r in rows if key in r]
        if pts:
            ax.plot(*zip(*pts), marker="o", label=label)
    ax.set_title("evaluation (%)")
    ax.set_xlabel("epoch")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax = axes[1]
    ax.plot(epochs, [r.get("clusters", 0) for r in rows], marker="o", label="clusters")
    ax.plot(epochs, [r.get("outliers", 0) for r in rows], marker="s", label="outliers")
    ax.set_title("pseudo-labels")
    ax.set_xlabel("epoch")
    ax.legend()
    ax = axes[2]
    for level in ("centroid", "intra", "inter"):
        key = f"loss_{level}"
        if any(key in r for r in rows):
            ax.plot(epochs, [r.get(key, float("nan")) for r in rows], marker="o", label=level)
    ax.set_title("loss per level")
    ax.set_xlabel("epoch")
    ax.legend()
    fig.tight_layout()
    out = Path(run_dir) / "training_curves.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
