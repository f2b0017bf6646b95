"""The people of a served gallery: its crops clustered into identities with the label-free settings.

The page's identities view needs who-is-who without labels, so the gallery's stored
embeddings are clustered exactly as training clusters unlabelled data: k-reciprocal
Jaccard distance and DBSCAN, with ``k1``/``k2``/``min_samples`` scaled to the collection
and ``eps`` searched for the most clusters spanning cameras
(:func:`~unreid.clustering.label_free.label_free_clustering`). Crops DBSCAN leaves as noise
are "unassigned".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from unreid.clustering import NOISE
from unreid.clustering.label_free import label_free_clustering
from unreid.data.records import Record

logger = logging.getLogger(__name__)

MIN_CROPS = 4
"""Galleries with fewer crops are not clustered (DBSCAN needs a few neighbours per person)."""


@dataclass(frozen=True)
class Member:
    """One crop of an identity: its gallery row, file name and camera id (zero-based, -1 unknown)."""

    index: int
    name: str
    camera_id: int

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "camera_id": self.camera_id,
                "image": f"/gallery/{self.index}"}


@dataclass(frozen=True)
class Identity:
    """One cluster: ``id`` 0 is the largest; ``cameras`` sorted; ``members`` by camera, then gallery row."""

    id: int
    members: tuple[Member, ...]

    @property
    def cameras(self) -> list[int]:
        return sorted({m.camera_id for m in self.members})

    def as_dict(self) -> dict[str, Any]:
        by_camera = [{"camera_id": c, "members": [m.as_dict() for m in self.members if m.camera_id == c]}
                     for c in self.cameras]
        return {"id": self.id, "size": len(self.members), "cameras": self.cameras, "by_camera": by_camera}


@dataclass(frozen=True)
class GalleryIdentities:
    """The identities of a gallery, the crops left unassigned, and a note for the page."""

    identities: tuple[Identity, ...]
    unassigned: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"identities": [i.as_dict() for i in self.identities], "count": len(self.identities),
                "unassigned": self.unassigned, "message": self.message}


def group_labels(labels: Sequence[int], records: Sequence[Record]) -> tuple[Identity, ...]:
    """Identities of cluster ``labels`` (``-1`` = unassigned), largest first (ties: lowest gallery row first)."""
    clusters: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        if label != NOISE:
            clusters.setdefault(int(label), []).append(row)
    ordered = sorted(clusters.values(), key=lambda rows: (-len(rows), rows[0]))
    return tuple(
        Identity(id=n, members=tuple(sorted(
            (Member(index=r, name=Path(records[r].path).name, camera_id=records[r].camera_id) for r in rows),
            key=lambda m: (m.camera_id, m.index))))
        for n, rows in enumerate(ordered))


def gallery_identities(*, features: Tensor, records: Sequence[Record]) -> GalleryIdentities:
    """Cluster ``features [G, D]`` (one row per record) into identities with the label-free settings.

    Raises:
        ValueError: when features and records differ in length.
    """
    if features.shape[0] != len(records):
        raise ValueError(f"{features.shape[0]} gallery features for {len(records)} records")
    count = len(records)
    if count < MIN_CROPS:
        return GalleryIdentities((), count, f"the gallery has {count} crops; identities need at least {MIN_CROPS}")
    cameras = torch.tensor([max(r.camera_id, 0) for r in records])  # [G]
    result, sizes = label_free_clustering(features.float().cpu(), cameras=cameras)  # labels [G]
    identities = group_labels(result.labels.tolist(), records)
    message = (f"{len(identities)} identities in {count} crops ({result.num_outliers} unassigned); "
               f"label-free clustering: k1 {sizes.k1}, k2 {sizes.k2}, min_samples {sizes.min_samples}, "
               f"eps {result.eps:.3f}")
    logger.info("gallery identities: %s", message)
    return GalleryIdentities(identities, result.num_outliers, message)
