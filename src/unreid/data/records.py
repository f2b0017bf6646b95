"""Dataset metadata: a re-ID data set is nothing but lists of ``(path, person_id, camera_id)``.

Image loading lives elsewhere (:mod:`unreid.data.image_bank`), so a pseudo-labelled
training set is simply a new list of records whose ``person_id`` is the cluster id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

UNKNOWN_PERSON = -1
"""``person_id`` of a record whose identity is not known (unlabelled folders)."""

UNKNOWN_TRACK = -1
"""``track_id`` of a record that belongs to no known tracklet."""


def camera_name(camera_id: int) -> str | None:
    """The one-based camera name people read (``c1`` for ``camera_id`` 0, as in Market-1501's file names
    and the image grids); ``None`` for an unknown (negative) camera. JSON outputs carry both."""
    return f"c{camera_id + 1}" if camera_id >= 0 else None


@dataclass(frozen=True)
class Record:
    """One person crop.

    Attributes:
        path: image file.
        person_id: ground-truth identity (``0`` = distractor in Market-1501 galleries),
            or :data:`UNKNOWN_PERSON`; in a pseudo-labelled list, the cluster id.
        camera_id: zero-based camera index (Market-1501's ``c1`` is camera 0).
        track_id: tracklet of a within-camera tracker (crops of one person in one camera),
            unique over the data set, or :data:`UNKNOWN_TRACK`.
    """

    path: Path
    person_id: int
    camera_id: int
    track_id: int = UNKNOWN_TRACK


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
            known = {r.person_id for r in records if r.person_id != UNKNOWN_PERSON}
            ids = f"{len(known):4d}" if known or not records else "identities unknown"
            cams = len({r.camera_id for r in records})
            lines.append(f"  {subset:<7}| {len(records):6d} | {ids} | {cams:4d}")
        if self.notes.get("cameras") == "unknown":
            lines.append("  cameras unknown: every image is camera 0")
        return "\n".join(lines)


def relabel(records: list[Record], labels: list[int]) -> list[Record]:
    """Return the records with ``person_id`` replaced by ``labels``; ``-1`` labels are dropped."""
    if len(records) != len(labels):
        raise ValueError(f"relabel: {len(records)} records but {len(labels)} labels")
    return [dataclasses.replace(r, person_id=int(l)) for r, l in zip(records, labels) if l >= 0]
