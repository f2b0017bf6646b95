"""What ``unreid evaluate`` says when there is nothing, or no ground truth, to score against.

mAP and CMC need query and gallery crops whose person ids are known. A run trained on
one's own unlabelled crops has neither, and a NaN printed with exit status 0 reads like
a result; so evaluation refuses with a message that names what is missing, and any score
that cannot be computed is printed as JSON ``null`` with a ``note`` saying why.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from unreid.data.records import ReIDSplit


def check_ground_truth(split: ReIDSplit, *, checkpoint: Path, root: str) -> None:
    """Raise ``ValueError`` naming what is missing when ``split`` has no query/gallery or no identities."""
    if not split.query or not split.gallery:
        raise ValueError(
            f"{checkpoint}: data set {root!r} has no query/gallery images, so there is nothing to evaluate against "
            "(a run trained on unlabelled crops alone); give evaluation folders with --set data.folder_query=DIR "
            "--set data.folder_gallery=DIR, crops whose names carry person and camera (e.g. 0002_c1_00.jpg)")
    for subset, records in (("query", split.query), ("gallery", split.gallery)):
        if not any(r.person_id >= 0 for r in records):
            raise ValueError(
                f"the {subset} images of {root!r} carry no identities (no person id in their names), so mAP and "
                "CMC cannot be computed; name the crops with a person id (e.g. 0002_c1_00.jpg, or data.folder_pattern "
                "with a (?P<pid>...) group), or use `unreid search` to look at ranked lists without ground truth")


def evaluation_summary(metrics: dict[str, float], *, num_valid_queries: int) -> dict[str, Any]:
    """Percentages rounded to 2 decimals; ``None`` (JSON null) and a ``note`` where a value cannot be computed."""
    summary: dict[str, Any] = {k: round(100 * v, 2) if math.isfinite(v) else None for k, v in metrics.items()}
    if num_valid_queries == 0:
        summary["note"] = ("no query has a correct match in the gallery (same identity, another camera): "
                           "every score is null")
    elif any(v is None for v in summary.values()):
        summary["note"] = "null: the gallery is too small for that rank"
    return summary
