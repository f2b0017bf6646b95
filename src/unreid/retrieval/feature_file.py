"""Embeddings on disk: a ``.npy`` or ``.safetensors`` matrix with its records beside it.

``feats.npy`` (or ``feats.safetensors``) holds the ``float32 [N, D]`` matrix and
``feats.records.json`` the model fingerprint and one ``(path, person_id, camera_id)``
record per row, so any tool (numpy, safetensors, a JSON reader) can use the pair and
``unreid index build`` knows which image and which model each row came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unreid.data.records import Record, camera_name

FEATURE_SUFFIXES = (".npy", ".safetensors")
"""File suffixes :func:`save_features` and :func:`load_features` accept."""


@dataclass(frozen=True)
class FeatureSet:
    """``features [N, D]`` float32, one record per row, and the model fingerprint."""

    features: np.ndarray
    records: list[Record]
    fingerprint: str | None


def records_path(path: Path) -> Path:
    """``feats.npy`` -> ``feats.records.json``."""
    return path.with_name(path.stem + ".records.json")


def records_to_json(records: list[Record]) -> list[dict[str, Any]]:
    """One-based ``camera`` name (``"c1"``; ``null`` when unknown) beside the zero-based ``camera_id``."""
    return [{"path": str(r.path), "person_id": r.person_id, "camera": camera_name(r.camera_id),
             "camera_id": r.camera_id} for r in records]


def records_from_json(rows: list[dict[str, Any]]) -> list[Record]:
    return [Record(Path(r["path"]), int(r["person_id"]), int(r["camera_id"])) for r in rows]


def _check_suffix(path: Path) -> None:
    if path.suffix not in FEATURE_SUFFIXES:
        raise ValueError(f"{path}: feature files end in {' or '.join(FEATURE_SUFFIXES)}; rename the output")


def save_features(path: Path, *, features: np.ndarray, records: list[Record], fingerprint: str | None) -> Path:
    """Write ``features [N, D]`` to ``path`` and the records to :func:`records_path` of it."""
    path = Path(path)
    _check_suffix(path)
    if features.ndim != 2 or features.shape[0] != len(records):
        raise ValueError(f"save_features: {features.shape} features for {len(records)} records")
    path.parent.mkdir(parents=True, exist_ok=True)
    matrix = np.ascontiguousarray(features, dtype=np.float32)  # [N, D]
    if path.suffix == ".npy":
        np.save(path, matrix)
    else:
        from safetensors.numpy import save_file

        save_file({"features": matrix}, str(path), metadata={"fingerprint": fingerprint or ""})
    meta = {"fingerprint": fingerprint, "count": int(matrix.shape[0]), "dim": int(matrix.shape[1]),
            "records": records_to_json(records)}
    records_path(path).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return path


def load_features(path: Path) -> FeatureSet:
    """Read a pair written by :func:`save_features`; ``ValueError`` names the missing or bad file."""
    path = Path(path)
    _check_suffix(path)
    sidecar = records_path(path)
    for needed in (path, sidecar):
        if not needed.is_file():
            raise ValueError(f"{needed}: missing; write features with `unreid extract ... --out {path}`")
    try:
        if path.suffix == ".npy":
            features = np.load(path, allow_pickle=False)
        else:
            from safetensors.numpy import load_file

            features = load_file(str(path))["features"]
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        records = records_from_json(meta["records"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: unreadable feature file ({error}); extract the features again") from error
    if features.ndim != 2 or features.shape[0] != len(records):
        raise ValueError(f"{path}: {features.shape} features but {len(records)} records in {sidecar}")
    return FeatureSet(features.astype(np.float32, copy=False), records, meta.get("fingerprint"))
