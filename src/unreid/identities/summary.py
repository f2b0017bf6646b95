"""What a collection's identities look like: counts, cameras per identity, sizes, and a histogram.

A good result on surveillance footage has most identities seen by more than one camera;
an identity seen by one camera only is often a camera cluster (one background, several
people) or a person who truly passed one camera. The summary says which, in numbers.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from unreid.identities.crop_records import Crop
from unreid.io.atomic_file import atomic_write_bytes

logger = logging.getLogger(__name__)

SIZE_BINS = ((1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 32), (33, 64), (65, None))
"""Identity-size bins of the summary (inclusive bounds; ``None`` = no upper bound)."""


def _bin_name(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else (str(low) if low == high else f"{low}-{high}")


def identity_summary(crops: list[Crop], identities: np.ndarray) -> dict[str, Any]:
    """Counts of a result: identities, unassigned crops, cameras per identity and identity sizes.

    ``cameras_per_identity`` maps a number of cameras to the number of identities seen by
    that many (``null`` when cameras are unknown); ``size_distribution`` maps size bins to
    identity counts, with ``sizes`` giving min / median / mean / max.
    """
    assigned = identities[identities >= 0]  # [A]
    sizes = np.bincount(assigned) if assigned.size else np.zeros(0, dtype=np.int64)  # [C]
    sizes = sizes[sizes > 0]
    cameras_known = any(c.camera is not None for c in crops)
    cameras_per_identity: dict[str, int] | None = None
    if cameras_known:
        seen: dict[int, set[int | None]] = {}
        for crop, identity in zip(crops, identities.tolist()):
            if identity >= 0:
                seen.setdefault(identity, set()).add(crop.camera)
        counts = Counter(len(cameras) for cameras in seen.values())
        cameras_per_identity = {str(k): counts[k] for k in sorted(counts)}
    bins = {_bin_name(low, high): int(((sizes >= low) & (sizes <= (high or sizes.max(initial=0)))).sum())
            for low, high in SIZE_BINS}
    return {
        "crops": len(crops),
        "identities": int(sizes.size),
        "assigned": int(assigned.size),
        "unassigned": int((identities < 0).sum()),
        "cameras": len({c.camera for c in crops}) if cameras_known else None,
        "cameras_per_identity": cameras_per_identity,
        "sizes": {"min": int(sizes.min()), "median": float(np.median(sizes)), "mean": round(float(sizes.mean()), 2),
                  "max": int(sizes.max())} if sizes.size else None,
        "size_distribution": bins,
    }


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The printed form of :func:`identity_summary`."""
    crops = summary["crops"]
    lines = [f"{crops} crops -> {summary['identities']} identities; {summary['unassigned']} unassigned "
             f"({100 * summary['unassigned'] / max(crops, 1):.1f}%)"]
    if summary["cameras_per_identity"] is None:
        lines.append("cameras per identity: cameras unknown (names carry no camera; see --pattern)")
    else:
        spread = ", ".join(f"{k} camera(s): {v}" for k, v in summary["cameras_per_identity"].items())
        lines.append(f"cameras per identity ({summary['cameras']} cameras): {spread}")
    if summary["sizes"] is not None:
        s = summary["sizes"]
        lines.append(f"crops per identity: min {s['min']}, median {s['median']:g}, mean {s['mean']}, max {s['max']}")
        lines.append("size distribution: " + ", ".join(f"{k}: {v}" for k, v in summary["size_distribution"].items()))
    return lines


def save_size_histogram(path: Path, identities: np.ndarray) -> None:
    """A PNG histogram of identity sizes (crops per identity), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assigned = identities[identities >= 0]
    sizes = np.bincount(assigned) if assigned.size else np.zeros(0, dtype=np.int64)
    sizes = sizes[sizes > 0]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    if sizes.size:
        bins = (np.arange(1, sizes.max() + 2) - 0.5).tolist() if sizes.max() <= 60 else 40
        axes.hist(sizes, bins=bins, color="#3b75af")
    else:
        axes.text(0.5, 0.5, "no identity found", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel("crops per identity")
    axes.set_ylabel("identities")
    axes.set_title(f"{sizes.size} identities, {int((identities < 0).sum())} unassigned crops")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue(), permissions=0o644)
