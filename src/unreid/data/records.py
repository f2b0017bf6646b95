"""Dataset metadata: a re-ID data set is nothing but lists of ``(path, person_id, camera_id)``.

Image loading lives elsewhere (:mod:`unreid.data.image_bank`), so a pseudo-labelled
training set is simply a new list of records whose ``person_id`` is the cluster id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

UNKNOWN_PERSON = -1
"""``person_id`` of a record whose identity is not known (unlabelled folders)."""


@dataclass(frozen=True)
class Record:
    """One person crop.

    Attributes:
        path: image file.
        person_id: ground-truth identity (``0`` = distractor in Market-1501 galleries),
            or :data:`UNKNOWN_PERSON`; in a pseudo-labelled list, the cluster id.
        camera_id: zero-based camera index (Market-1501's ``c1`` is camera 0).
    """

    path: Path
    person_id: int
    camera_id: int


@dataclass(frozen=True)
class ReIDSplit:
    """A data set's three record lists: unlabeled training set, queries and gallery."""

    name: str
    train: list[Record]
    query: list[Record]
    gallery: list[Record]
    root: Path | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def num_train_cameras(self) -> int:
        return len({r.camera_id for r in self.train})

    def summary(self) -> str:
        """A short table of image, identity and camera counts per subset."""
        lines = [f"{self.name}: subset   | images | ids  | cams"]
        for subset, records in (("train", self.train), ("query", self.query), ("gallery", self.gallery)):
            ids = len({r.person_id for r in records})
            cams = len({r.camera_id for r in records})
            lines.append(f"  {subset:<7}| {len(records):6d} | {ids:4d} | {cams:4d}")
        return "\n".join(lines)


def relabel(records: list[Record], labels: list[int]) -> list[Record]:
    """Return the records with ``person_id`` replaced by ``labels``; ``-1`` labels are dropped."""
    if len(records) != len(labels):
        raise ValueError(f"relabel: {len(records)} records but {len(labels)} labels")
    return [Record(r.path, int(l), r.camera_id) for r, l in zip(records, labels) if l >= 0]
