"""Ground-truth identities in place of clustering: the supervised upper bound of a recipe (diagnostics only).

With ``cluster.oracle: true`` every epoch's pseudo-labels are the training identities
themselves (each identity one cluster, no outliers, every image a core point), so the same
backbone, loss, memory and budget learn from perfect labels. The gap between this run and the
unsupervised one is what clustering costs; it never belongs in a reported unsupervised result.
"""

from __future__ import annotations

import torch

from unreid.clustering.pseudo_labels import PseudoLabels
from unreid.data.records import Record


def oracle_labels(
    records: list[Record], *, device: torch.device | None = None, source: str = "the training set"
) -> PseudoLabels:
    """Labels ``[N]`` numbering the distinct person ids of ``records`` ``0..C-1`` (in order of first appearance).

    Raises:
        ValueError: some records have no identity (person id < 0), naming ``source`` and the fix.
    """
    unknown = sum(1 for r in records if r.person_id < 0)
    if unknown:
        raise ValueError(f"cluster.oracle=true needs ground-truth identities, but {unknown} of {len(records)} "
                         f"training images of {source} have none (person id -1); set cluster.oracle=false, or name "
                         "the files so that data.folder_pattern's pid group finds the identity")
    index: dict[int, int] = {}
    labels = torch.tensor([index.setdefault(r.person_id, len(index)) for r in records], dtype=torch.long,
                          device=device)  # [N]
    return PseudoLabels(labels=labels, num_clusters=len(index), num_outliers=0,
                        timings={"jaccard": 0.0, "dbscan": 0.0}, core=torch.ones_like(labels, dtype=torch.bool), eps=0.0)
