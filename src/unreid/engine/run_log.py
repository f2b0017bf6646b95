"""Per-epoch metrics: a JSON-lines file and plots of mAP, clusters and losses over epochs."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from unreid.losses.levels import level_names

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``None``: valid JSON (``null``), not bare ``NaN``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def to_json(value: Any, **options: Any) -> str:
    """Strict JSON of ``value`` (non-finite numbers as ``null``)."""
    return json.dumps(json_safe(value), allow_nan=False, **options)


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented strict JSON (``results.json``)."""
    Path(path).write_text(to_json(value, indent=2), encoding="utf-8")


def append_metrics(run_dir: Path, row: dict[str, Any]) -> None:
    """Append one epoch's metrics as a JSON line."""
    with open(Path(run_dir) / METRICS_FILE, "a", encoding="utf-8") as handle:
        handle.write(to_json(row, sort_keys=True) + "\n")


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def truncate_metrics(run_dir: Path, *, last_epoch: int) -> None:
    """Keep only epochs ``<= last_epoch`` (a resumed run re-does the later ones)."""
    rows = [r for r in read_metrics(run_dir) if r.get("epoch", -1) <= last_epoch]
    path = Path(run_dir) / METRICS_FILE
    path.write_text("".join(to_json(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


_NOT_EVALUATED = "not evaluated:\nno query/gallery with known identities"
_NO_TRUTH = "no ground truth:\nthe training identities are unknown"


def plot_metrics(run_dir: Path) -> Path | None:
    """Draw ``training_curves.png``: evaluation per epoch and against time, pseudo-label counts,
    cluster sizes, pseudo-label quality (where identities are known) and each loss level."""
    rows = read_metrics(run_dir)
    if not rows:
        return None
    from matplotlib.figure import Figure  # no pyplot: safe from a background thread

    fig = Figure(figsize=(14, 7.2))
    axes = fig.subplots(2, 3)

    def lines(ax: Any, keys: list[tuple[str, str]], title: str, scale: float = 1.0) -> None:
        for key, label in keys:
            pts = [(r["epoch"], scale * r[key]) for r in rows if r.get(key) is not None]
            if pts:
                ax.plot(*zip(*pts), marker="o", markersize=3, label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)

    lines(axes[0, 0], [("mAP", "mAP"), ("R1", "Rank-1"), ("mINP", "mINP")], "evaluation (%)", 100.0)
    ax = axes[0, 1]  # time to accuracy: seconds spent in the epoch stages so far
    elapsed, total = [], 0.0
    for row in rows:
        total += sum(v for k, v in row.items() if k.startswith("time_"))
        elapsed.append(total)
    pts = [(t, 100 * r["mAP"]) for t, r in zip(elapsed, rows) if r.get("mAP") is not None]
    if pts:
        ax.plot(*zip(*pts), marker="o", markersize=3)
    ax.set(title="mAP (%) against time", xlabel="seconds (extraction, clustering, training, evaluation)")
    lines(axes[0, 2], [("clusters", "clusters"), ("outliers", "outliers")], "pseudo-labels")
    lines(axes[1, 0], [("size_max", "largest cluster"), ("size_median", "median cluster")], "cluster sizes")
    lines(axes[1, 1], [("pl_precision", "pair precision"), ("pl_recall", "pair recall"),
                       ("pl_false_merge_same_camera", "same-camera share of wrong merges")],
          "pseudo-label quality (ground truth)")
    lines(axes[1, 2], [(f"loss_{level}", level) for level in level_names()], "loss per level")
    for ax, why in ((axes[0, 0], _NOT_EVALUATED), (axes[0, 1], _NOT_EVALUATED), (axes[1, 1], _NO_TRUTH)):
        if not ax.lines:  # say why a panel is empty instead of leaving it blank
            ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center", color="grey", wrap=True)
    fig.tight_layout()
    out = Path(run_dir) / "training_curves.png"
    fig.savefig(out, dpi=110)
    return out
