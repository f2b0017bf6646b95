"""``unreid report curves``: per-epoch mAP, cluster count, pair precision and recall of named variants.

Each panel draws the mean over seeds by epoch and a band from the lowest to the highest seed; the
legend says how many seeds each variant has; ``people`` draws the true identity count on the
cluster panel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from unreid.report.run_folders import RunFolder, read_run_metrics

PANELS = (("mAP", "mAP (%)", 100.0), ("clusters", "clusters", 1.0),
          ("pl_precision", "pair precision", 1.0), ("pl_recall", "pair recall", 1.0))
"""``(metrics key, axis label, scale)`` per panel."""


def by_epoch(runs: Sequence[RunFolder], key: str, *, scale: float = 1.0) -> dict[int, list[float]]:
    """Every seed's value of ``key`` at each epoch where it was logged (mAP: the evaluated epochs only)."""
    values: dict[int, list[float]] = defaultdict(list)
    for run in runs:
        for row in read_run_metrics(run.path):
            if row.get(key) is not None:
                values[int(row["epoch"])].append(scale * float(row[key]))
    return dict(sorted(values.items()))


def plot_curves(runs: dict[str, list[RunFolder]], path: Path, *, variants: Sequence[str],
                people: int | None = None, title: str = "") -> None:
    """Draw one panel per :data:`PANELS` entry into ``path``, one line per variant (in ``variants`` order)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * len(PANELS), 3.4))
    axes = fig.subplots(1, len(PANELS))
    for ax, (key, label, scale) in zip(axes, PANELS, strict=True):
        for name in variants:
            values = by_epoch(runs[name], key, scale=scale)
            epochs = [epoch + 1 for epoch in values]
            mean = [sum(v) / len(v) for v in values.values()]
            (line,) = ax.plot(epochs, mean, marker="o", markersize=3, label=f"{name} ({len(runs[name])} seeds)")
            ax.fill_between(epochs, [min(v) for v in values.values()], [max(v) for v in values.values()],
                            color=line.get_color(), alpha=0.15)
        if key == "clusters" and people:
            ax.axhline(people, color="grey", linestyle="--", linewidth=1)
        ax.set(xlabel="epoch", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
