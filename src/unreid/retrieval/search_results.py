"""Search results as plain data: one ranked list of gallery hits per query, ready for JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from unreid.data.records import UNKNOWN_PERSON, Record, camera_name
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.retrieval.model_fingerprint import check_fingerprint


@dataclass(frozen=True)
class Hit:
    """One gallery entry in a ranked list."""

    rank: int  # 1 = best
    index: int  # row in the gallery index
    score: float  # cosine similarity
    record: Record

    def as_dict(self, query: Record | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"rank": self.rank, "index": self.index, "score": round(self.score, 6),
                               "path": str(self.record.path), "person_id": self.record.person_id,
                               "camera": camera_name(self.record.camera_id), "camera_id": self.record.camera_id}
        if query is not None:
            known = UNKNOWN_PERSON not in (query.person_id, self.record.person_id)
            out["match"] = (query.person_id == self.record.person_id) if known else None
        return out


def search_index(
    index: GalleryIndex, queries: np.ndarray, *, top_k: int, fingerprint: str | None, index_name: str,
) -> list[list[Hit]]:
    """The ``top_k`` hits of each query embedding ``[Q, D]``, after checking the model fingerprint."""
    check_fingerprint(expected=index.fingerprint, actual=fingerprint, what=f"gallery index {index_name}")
    if index.records is None:
        raise ValueError(f"gallery index {index_name} has no records; rebuild it with `unreid index build`")
    result = index.search(queries, top_k=top_k)
    hits = []
    for scores, rows in zip(result.scores.tolist(), result.indices.tolist()):
        hits.append([Hit(rank + 1, int(i), float(s), index.records[int(i)])
                     for rank, (s, i) in enumerate(zip(scores, rows)) if i >= 0])
    return hits


def results_as_json(queries: list[Record], hits: list[list[Hit]]) -> list[dict[str, Any]]:
    """``[{"query": ..., "person_id", "camera", "camera_id", "results": [hit dicts]}]`` per query.

    ``camera`` is the one-based name (``"c1"``, as in the grids; ``null`` when unknown), ``camera_id``
    the zero-based index of the records.
    """
    return [{"query": str(q.path), "person_id": q.person_id, "camera": camera_name(q.camera_id),
             "camera_id": q.camera_id,
             "results": [h.as_dict(q) for h in row]} for q, row in zip(queries, hits)]
