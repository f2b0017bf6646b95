"""``unreid report selection``: how the label-free score tracks true mAP.

Per run, the epoch the label-free score (``lf_score``) would keep against the best epoch by labels,
their mAP, the gap kept - best, and the Spearman rank correlation of score and mAP over the
evaluated epochs. The comparison is exact when the run evaluated every epoch (``train.eval_every=1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unreid.evaluation.label_free_score import SCORE_KEY
from unreid.report.run_folders import read_run_metrics

HEADER = ["| run | final (epoch) | best by labels (epoch) | kept by lf_score (epoch) | kept - best | Spearman score~mAP |",
          "|---|---:|---:|---:|---:|---:|"]


@dataclass(frozen=True)
class Selection:
    """One run's final, best-by-labels and kept-by-score epochs; mAP in percent."""

    run: str
    final_epoch: int
    final: float
    best_epoch: int
    best: float
    kept_epoch: int
    kept: float
    spearman: float
    rows: tuple[dict[str, Any], ...]

    @property
    def gap(self) -> float:
        """mAP of the kept epoch minus the best epoch's (0 or below)."""
        return self.kept - self.best


def select(run: Path) -> Selection:
    """The selection of one run folder.

    Raises:
        ValueError: no epoch has both mAP and the label-free score.
    """
    rows = [r for r in read_run_metrics(run) if r.get("mAP") is not None and r.get(SCORE_KEY) is not None]
    if not rows:
        raise ValueError(f"{Path(run) / 'metrics.jsonl'}: no epoch has both mAP and {SCORE_KEY}; "
                         "train with train.eval_every=1 on data with known identities")
    best = max(rows, key=lambda r: r["mAP"])
    kept = max(rows, key=lambda r: (r[SCORE_KEY], r["epoch"]))  # ties: the later epoch, as best.pth keeps
    final = rows[-1]
    rho = float("nan")
    if len(rows) > 2:
        from scipy.stats import spearmanr

        rho = float(spearmanr([r[SCORE_KEY] for r in rows], [r["mAP"] for r in rows]).statistic)
    return Selection(run=Path(run).name, final_epoch=int(final["epoch"]), final=100 * final["mAP"],
                     best_epoch=int(best["epoch"]), best=100 * best["mAP"], kept_epoch=int(kept["epoch"]),
                     kept=100 * kept["mAP"], spearman=rho, rows=tuple(rows))


def selection_table(selections: Sequence[Selection]) -> list[str]:
    """The header, one row per run and a closing line with the mean and worst gap."""
    lines = list(HEADER)
    for s in selections:
        lines.append(f"| {s.run} | {s.final:.1f} ({s.final_epoch}) | {s.best:.1f} ({s.best_epoch}) | "
                     f"{s.kept:.1f} ({s.kept_epoch}) | {s.gap:+.1f} | {s.spearman:.2f} |")
    gaps = [s.gap for s in selections]
    lines.append(f"kept - best: mean {sum(gaps) / len(gaps):+.2f}, worst {min(gaps):+.2f} over {len(gaps)} runs")
    return lines


def plot_selection(selections: Sequence[Selection], path: Path) -> None:
    """Score and mAP by epoch, one panel per run; the kept epoch marked."""
    from matplotlib.figure import Figure

    cols = min(3, len(selections))
    rows = (len(selections) + cols - 1) // cols
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, s in zip(axes.flat, selections, strict=False):
        epochs = [r["epoch"] for r in s.rows]
        ax.plot(epochs, [100 * r["mAP"] for r in s.rows], "o-", color="tab:blue", label="mAP (labels)")
        ax.set_ylabel("mAP %", color="tab:blue")
        twin = ax.twinx()
        twin.plot(epochs, [r[SCORE_KEY] for r in s.rows], "s--", color="tab:orange", label=SCORE_KEY)
        twin.set_ylabel("label-free score", color="tab:orange")
        ax.axvline(s.kept_epoch, color="tab:orange", alpha=0.4, lw=3)
        ax.set_title(f"{s.run}: kept {s.kept:.1f}, best {s.best:.1f}", fontsize=9)
        ax.set_xlabel("epoch")
    for ax in list(axes.flat)[len(selections):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
