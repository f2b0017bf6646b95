"""The files of an identities result, written atomically and read back for ``--into``.

An output folder holds ``identities.csv`` and ``identities.json`` (one row per crop: path,
camera, track, identity, similarity to the identity's centroid), ``centroids.npy``
(``float32 [C, D]``, row ``c`` = identity ``c``), ``features.npy`` (``float32 [N, D]``, one
row per crop in table order, so new crops can be added later without embedding the old
ones again), ``summary.json``, ``identity_sizes.png`` and ``grids/``. ``identities.json``
also records the model fingerprint: new crops must be embedded by the same model. Every
file goes through :func:`unreid.io.atomic_file.atomic_file`, so a reader (or a crash)
sees the old result or the new one, never half of a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unreid.identities.crop_records import Crop
from unreid.io.atomic_file import atomic_file, atomic_write_bytes

TABLE_CSV, TABLE_JSON = "identities.csv", "identities.json"
CENTROIDS, FEATURES, SUMMARY, SIZES_PLOT = "centroids.npy", "features.npy", "summary.json", "identity_sizes.png"
GRIDS = "grids"
RESULT_FILES = (TABLE_CSV, TABLE_JSON, CENTROIDS, FEATURES, SUMMARY, SIZES_PLOT)
"""Files of a result; ``--overwrite`` deletes exactly these and ``grids/identity_*.jpg``."""
FORMAT_VERSION = 1


@dataclass(frozen=True)
class IdentityResult:
    """Everything an identities run knows about ``N`` crops and ``C`` identities."""

    crops: list[Crop]
    identities: np.ndarray
    """``[N]`` int64, ``-1`` = unassigned."""
    similarities: np.ndarray
    """``[N]`` float32 cosine similarity to the own centroid, NaN when unassigned."""
    centroids: np.ndarray
    """``[C, D]`` float32 unit centroids."""
    features: np.ndarray
    """``[N, D]`` float32 unit features."""
    fingerprint: str | None

    @property
    def num_identities(self) -> int:
        return int(self.centroids.shape[0])


def camera_label(camera: int | None) -> str:
    """``c1`` for camera 0; empty when unknown."""
    return "" if camera is None else f"c{camera + 1}"


def crop_rows(result: IdentityResult) -> list[dict[str, Any]]:
    rows = []
    for crop, identity, similarity in zip(result.crops, result.identities.tolist(), result.similarities.tolist()):
        rows.append({
            "path": str(crop.path), "camera": camera_label(crop.camera), "camera_id": crop.camera,
            "track": crop.track, "identity": int(identity),
            "similarity": None if math.isnan(similarity) else round(float(similarity), 4), "person": crop.person,
        })
    return rows


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "camera", "track", "identity", "similarity"])
    for row in rows:
        writer.writerow([row["path"], row["camera"], "" if row["track"] is None else row["track"], row["identity"],
                         "" if row["similarity"] is None else f"{row['similarity']:.4f}"])
    return buffer.getvalue()


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_file(path, permissions=0o644) as handle:
        np.save(handle, np.ascontiguousarray(array, dtype=np.float32))


def write_json(path: Path, value: Any) -> None:
    atomic_write_bytes(path, (json.dumps(value, indent=1) + "\n").encode(), permissions=0o644)


def write_result_tables(out: Path, result: IdentityResult, *, extra: dict[str, Any]) -> None:
    """Write the tables, centroids and features of ``result`` into ``out`` (each file atomically)."""
    rows = crop_rows(result)
    _save_npy(out / FEATURES, result.features)
    _save_npy(out / CENTROIDS, result.centroids)
    atomic_write_bytes(out / TABLE_CSV, _csv_text(rows).encode(), permissions=0o644)
    write_json(out / TABLE_JSON, {"format": FORMAT_VERSION, "model_fingerprint": result.fingerprint,
                                  "num_identities": result.num_identities, **extra, "crops": rows})


def load_result(out: Path) -> tuple[IdentityResult, dict[str, Any]]:
    """The result in ``out`` and the other keys of its ``identities.json``.

    Raises:
        ValueError: naming the folder when it holds no complete, consistent result.
    """
    missing = [name for name in (TABLE_JSON, FEATURES, CENTROIDS) if not (out / name).is_file()]
    if missing:
        raise ValueError(f"--into {out}: no identities result here (missing {', '.join(missing)}); "
                         "create one with `unreid identities MODEL DIR --out OUT` first")
    try:
        meta = json.loads((out / TABLE_JSON).read_text())
        rows = meta.pop("crops")
        features = np.load(out / FEATURES).astype(np.float32)
        centroids = np.load(out / CENTROIDS).astype(np.float32)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"--into {out}: cannot read its identities result ({str(error)[:120]}); "
                         "create it again with --out") from None
    if features.shape[0] != len(rows) or centroids.shape[0] != meta.get("num_identities"):
        raise ValueError(f"--into {out}: {TABLE_JSON}, {FEATURES} and {CENTROIDS} disagree in size; "
                         "create the result again with --out")
    crops = [Crop(path=Path(r["path"]), camera=r["camera_id"], track=r["track"], person=r["person"]) for r in rows]
    identities = np.array([r["identity"] for r in rows], dtype=np.int64)
    similarities = np.array([np.nan if r["similarity"] is None else r["similarity"] for r in rows], dtype=np.float32)
    result = IdentityResult(crops=crops, identities=identities, similarities=similarities, centroids=centroids,
                            features=features, fingerprint=meta.pop("model_fingerprint", None))
    return result, meta
